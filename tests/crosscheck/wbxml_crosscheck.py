#!/usr/bin/python3
"""Cross-checks our WBXML against independent decoders.

For every corpus document, wbxml_crosscheck_gen writes our WBXML and the tree it must decode to
(as XML). This script decodes the WBXML with another program and compares element names, text
and attributes with our tree:

  --tool libwbxml  wbxml2xml -l CSP11 / -l CSP12 (libwbxml has no CSP 1.3 tables)
  --tool tshark    each body wrapped in an HTTP POST with the CSP content type, made into a pcap
                   with text2pcap -T 40000,80, decoded by tshark -T pdml (CSP 1.1, 1.2, 1.3)

Known differences that are the other program's, not ours, are normalised and listed in
KNOWN_ALIASES / normalise_date_time below. Exit status: 0 all equal, 1 a difference, 77 the
tool is missing (CTest reports the test as skipped). Python standard library only.
"""
import argparse
import copy
import glob
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

SKIP = 77

# Wireshark uses the WBXML table names of presence attribute tokens 0x26/0x27; the CSP XML (and
# we) call them PreferredContent/PreferredvCard.
TSHARK_ALIASES = {"ReferredContent": "PreferredContent", "ReferredvCard": "PreferredvCard"}

# (tool, CSP version) -> {their name: our name}
KNOWN_ALIASES = {
    # Wireshark names page 6 token 0x06 by its CSP 1.0 name in its 1.1 table; the CSP 1.1 spec
    # examples (our corpus) call it BlockEntity-Request.
    ("tshark", "1.1"): dict(TSHARK_ALIASES, **{"BlockUser-Request": "BlockEntity-Request"}),
    ("tshark", "1.2"): TSHARK_ALIASES,
    # Wireshark's 1.3 value table lists "History" before "GROUP_ID" for EXT_T_0 0x3D.
    ("tshark", "1.3"): dict(TSHARK_ALIASES, History="GROUP_ID"),
}

# (tool, CSP version) -> our element names whose tokens the tool lacks (it shows <unknown>).
# libwbxml's 1.2 table has no CIRURL (client capability page, 0x14), which Wireshark's has.
UNKNOWN_TO_TOOL = {("libwbxml", "1.2"): {"CIRURL"}}

DATE_TIME_ELEMENTS = {"DateTime", "DeliveryTime"}


class Node:
    def __init__(self, name):
        self.name = name
        self.attrs = {}
        self.text = ""
        self.children = []


def local(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def from_etree(e):
    n = Node(local(e.tag))
    if e.tag.startswith("{"):
        n.attrs["xmlns"] = e.tag[1:].split("}", 1)[0]
    n.text = (e.text or "").strip()
    n.children = [from_etree(c) for c in e]
    return n


def normalise_date_time(text):
    """YYYYMMDDTHHMMSS[Z] in the compact form; libwbxml leaves out seconds that are 00."""
    t = text.replace("-", "").replace(":", "")
    if len(t) == 13 + (1 if t[-1:].isalpha() else 0) and t[8:9] == "T":
        zone = t[13:] if len(t) == 14 else ""
        t = t[:13] + "00" + zone
    return t


def compare(ours, theirs, aliases, path="", check_xmlns=True, unknown=frozenset()):
    """The first difference between two trees, or None."""
    here = path + "/" + ours.name
    theirs_name = aliases.get(theirs.name, theirs.name)
    if theirs_name == "unknown" and ours.name in unknown:
        theirs_name = ours.name
    if ours.name != theirs_name:
        return "%s: element <%s> vs <%s>" % (path, ours.name, theirs.name)
    if check_xmlns and "xmlns" in theirs.attrs and ours.attrs.get("xmlns") != theirs.attrs["xmlns"]:
        return "%s: xmlns %r vs %r" % (here, ours.attrs.get("xmlns"), theirs.attrs["xmlns"])
    a, b = ours.text.strip(), aliases.get(theirs.text.strip(), theirs.text.strip())
    if ours.name in DATE_TIME_ELEMENTS:
        a, b = normalise_date_time(a), normalise_date_time(b)
    if a != b:
        return "%s: text %r vs %r" % (here, a, b)
    if len(ours.children) != len(theirs.children):
        return "%s: %d children vs %d: %s vs %s" % (
            here, len(ours.children), len(theirs.children),
            [c.name for c in ours.children], [c.name for c in theirs.children])
    for x, y in zip(ours.children, theirs.children):
        d = compare(x, y, aliases, here, check_xmlns, unknown)
        if d:
            return d
    return None


# --- tshark ---------------------------------------------------------------------------------

def content_type(version):
    return "application/vnd.wv.csp+wbxml" if version == "1.3" else "application/vnd.wv.csp.wbxml"


def write_hexdump(out, data):
    for i in range(0, len(data), 16):
        out.write("%06x %s\n" % (i, " ".join("%02x" % b for b in data[i:i + 16])))
    out.write("\n")


ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|.)")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def unescape(text):
    """tshark shows control characters and backslashes escaped (\\n, \\t, \\xNN, \\\\)."""
    def one(m):
        c = m.group(1)
        if c.startswith("x") and len(c) == 3:
            return chr(int(c[1:], 16))
        return ESCAPES.get(c, c)
    return ESCAPE.sub(one, text)


def rendering(field):
    return field.get("showname", "").rsplit("|", 1)[-1].strip()


def opaque_text(field):
    r = rendering(field)
    if r.startswith("WV-CSP Integer: "):
        value = r[len("WV-CSP Integer: "):]
        # Wireshark prints the 32-bit value with %d: 4294967295 shows as -1.
        return str(int(value) % 2**32) if value.lstrip("-").isdigit() else value
    if r.startswith("WV-CSP DateTime: "):
        return r[len("WV-CSP DateTime: "):]
    return "<undecoded OPAQUE: %s>" % r


def trees_from_pdml(pdml_path):
    """One tree per packet's wbxml protocol, rebuilt from the dissector's token fields."""
    trees = []
    for packet in ET.parse(pdml_path).getroot().iter("packet"):
        proto = next((p for p in packet.iter("proto") if p.get("name") == "wbxml"), None)
        if proto is None:
            trees.append(None)
            continue
        root, stack = None, []
        close_after_attrs = False
        attr = None
        for f in proto.iter("field"):
            name = f.get("name", "")
            show = unescape(f.get("show", ""))
            in_attr = "|  Attr |" in f.get("showname", "")
            if name in ("wbxml.known_tag", "wbxml.literal", "wbxml.literal_c",
                        "wbxml.literal_a", "wbxml.literal_ac"):
                n = Node(show)
                if stack:
                    stack[-1].children.append(n)
                else:
                    root = n
                stack.append(n)
                flags = f.get("showname", "")
                has_content = "(.C)" in flags or "(AC)" in flags or name in (
                    "wbxml.literal_c", "wbxml.literal_ac")
                has_attrs = "(A.)" in flags or "(AC)" in flags or name in (
                    "wbxml.literal_a", "wbxml.literal_ac")
                if not has_content:
                    if has_attrs:
                        close_after_attrs = True
                    else:
                        stack.pop()
            elif name in ("wbxml.end_known_tag", "wbxml.end_literal_tag"):
                stack.pop()
            elif name in ("wbxml.known_attrstart", "wbxml.literal_attrstart"):
                # Rendered as xmlns='prefix' (or, for one 1.2 token, xmlns prefix').
                key, _, prefix = show.replace("=", " ", 1).partition(" ")
                attr = [key, prefix.strip().strip("'")]
                stack[-1].attrs[attr[0]] = attr[1]
            elif name == "wbxml.end_attribute_list":
                attr = None
                if close_after_attrs:
                    stack.pop()
                    close_after_attrs = False
            elif name in ("wbxml.str_i", "wbxml.str_t"):
                if in_attr and attr is not None:
                    attr[1] += show
                    stack[-1].attrs[attr[0]] = attr[1]
                else:
                    stack[-1].text += show
            elif name == "wbxml.ext_t":
                value = show.split(": ", 1)[-1].strip("'")
                if in_attr and attr is not None:
                    attr[1] += value
                    stack[-1].attrs[attr[0]] = attr[1]
                else:
                    stack[-1].text += value
            elif name == "wbxml.opaque_data":
                stack[-1].text += opaque_text(f)
            elif name == "wbxml.entity":
                stack[-1].text += show
        trees.append(root)
    return trees


def run_tshark(work, docs, version):
    dump = os.path.join(work, "bodies-%s.txt" % version)
    pcap = os.path.join(work, "bodies-%s.pcap" % version)
    pdml = os.path.join(work, "bodies-%s.pdml" % version)
    with open(dump, "w") as out:
        for stem in docs:
            with open(os.path.join(work, "%s.%s.wbxml" % (stem, version)), "rb") as f:
                body = f.read()
            request = (("POST /imps HTTP/1.1\r\nHost: localhost\r\nContent-Type: %s\r\n"
                        "Content-Length: %d\r\n\r\n") % (content_type(version), len(body))).encode()
            write_hexdump(out, request + body)
    subprocess.run(["text2pcap", "-q", "-T", "40000,80", dump, pcap], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(pdml, "w") as out:
        # tshark 4.0 does not map the CSP 1.3 content type (+wbxml) to the WBXML dissector.
        subprocess.run(["tshark", "-d", "media_type==%s,wbxml" % content_type(version),
                        "-r", pcap, "-T", "pdml"], check=True, stdout=out,
                       stderr=subprocess.DEVNULL)
    trees = trees_from_pdml(pdml)
    if len(trees) != len(docs):
        raise RuntimeError("tshark shows %d packets for %d documents" % (len(trees), len(docs)))
    return dict(zip(docs, trees))


# --- libwbxml -------------------------------------------------------------------------------

def run_libwbxml(work, docs, version):
    trees = {}
    for stem in docs:
        src = os.path.join(work, "%s.%s.wbxml" % (stem, version))
        dst = os.path.join(work, "%s.%s.libwbxml.xml" % (stem, version))
        r = subprocess.run(["wbxml2xml", "-l", "CSP" + version.replace(".", ""), "-o", dst, src],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            trees[stem] = None
            continue
        trees[stem] = from_etree(ET.parse(dst).getroot())
    return trees


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", choices=["libwbxml", "tshark"], required=True)
    ap.add_argument("--gen", required=True, help="wbxml_crosscheck_gen program")
    ap.add_argument("--corpus", required=True, action="append",
                    help="directory of CSP XML documents (repeatable)")
    ap.add_argument("--work", required=True, help="scratch directory")
    args = ap.parse_args()

    needed = ["wbxml2xml"] if args.tool == "libwbxml" else ["tshark", "text2pcap"]
    missing = [t for t in needed if shutil.which(t) is None]
    if missing:
        print("skipped: %s not installed" % ", ".join(missing))
        return SKIP
    versions = ["1.1", "1.2"] if args.tool == "libwbxml" else ["1.1", "1.2", "1.3"]

    if os.path.isdir(args.work):
        shutil.rmtree(args.work)
    os.makedirs(args.work)
    files = sorted(f for d in args.corpus for f in glob.glob(os.path.join(d, "*.xml")))
    if not files:
        print("no corpus documents in %s" % ", ".join(args.corpus))
        return 1
    subprocess.run([args.gen, args.work, ",".join(versions)] + files, check=True)
    docs = [os.path.splitext(os.path.basename(f))[0] for f in files]

    failures = 0
    checked = 0
    for version in versions:
        theirs = (run_libwbxml if args.tool == "libwbxml" else run_tshark)(args.work, docs, version)
        aliases = KNOWN_ALIASES.get((args.tool, version), {})
        unknown = UNKNOWN_TO_TOOL.get((args.tool, version), frozenset())
        first_ours = None
        for stem in docs:
            ours = from_etree(ET.parse(os.path.join(args.work, "%s.%s.xml" % (stem, version)))
                              .getroot())
            first_ours = first_ours or ours
            t = theirs[stem]
            if t is None:
                print("FAIL %s (CSP %s): %s could not decode our WBXML" % (stem, version, args.tool))
                failures += 1
                continue
            d = compare(ours, t, aliases, unknown=unknown)
            checked += 1
            if d:
                print("FAIL %s (CSP %s): %s" % (stem, version, d))
                failures += 1
        # The comparison must be able to fail: a changed text in our tree is a difference.
        broken = copy.deepcopy(first_ours)
        leaf = broken
        while leaf.children:
            leaf = leaf.children[-1]
        leaf.text += "-changed"
        if compare(broken, theirs[docs[0]], aliases) is None:
            print("FAIL: the comparison did not notice a changed text (CSP %s)" % version)
            failures += 1
    print("%s: %d documents compared, %d differences" % (args.tool, checked, failures))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
