#!/usr/bin/python3
r"""The XMPP buddy of onesoup's integration scenarios: a real XMPP client (python3-slixmpp) that
logs in, runs a small script of steps against a phone on the other side of onesoup, and exits
0 when every step passed, 1 with "step N (VERB): what went wrong" otherwise, 2 on a usage or
script error.

    buddy.py --jid bob@b.test --password PW --host 127.0.0.2 --port 5222 \
             --steps "expect-message from=alice@a.test hello; send alice@a.test hi back"

Steps are separated by ';' (or given one per line with --script FILE). Words are separated by
spaces; key=value words with a known key are named arguments, the rest are positional, and
TEXT... is the rest of the positional words joined with single spaces. JIDs are bare JIDs.

  send JID TEXT... [receipt=T]         a chat message (receipt=T: XEP-0184 <request/>)
  expect-message [from=JID] [TEXT...] [request=T] [timeout=S]
                                       a chat/normal message with a body containing TEXT
                                       (request=T: it must ask for a XEP-0184 receipt)
  expect-no-message [timeout=S]        no message arrives within S (default 3) seconds
  expect-receipt [timeout=S]           a XEP-0184 <received/> for the last send with receipt=T
  presence STATE [TEXT...]             STATE: available, chat, away, xa, dnd, unavailable;
                                       TEXT becomes <status/>
  expect-presence JID STATE [text=TEXT] [timeout=S]
                                       a presence from JID in STATE (available = no <show/> or
                                       chat; online = any available state; away, xa, dnd,
                                       unavailable), with <status/> containing TEXT
  subscribe JID / unsubscribe JID      presence subscribe / unsubscribe (RFC 6121 3.1, 3.3)
  authorize JID / deny JID             answer a subscription request: subscribed / unsubscribed
  expect-subscribe JID, expect-subscribed JID, expect-unsubscribe JID,
  expect-unsubscribed JID [timeout=S]  that presence type arrives from JID
  expect-roster JID [subscription=S] [timeout=S]
                                       our own roster holds JID (with that subscription state)
  sleep SECONDS                        decimals allowed

Everything that arrives is remembered, so a later expect finds what came earlier; a matched
presence also discards the older presences of the same sender, so expectations on one contact
are met in order. Subscription requests are never answered automatically; receipt requests are
(as real clients do) unless --no-auto-receipt is given.
"""

import argparse
import asyncio
import logging
import ssl
import sys
import time

import slixmpp

NAMED = {"from", "timeout", "text", "receipt", "request", "subscription"}
DEFAULT_TIMEOUT = 15.0
# verb -> (fewest, most) positional words; None = any number (free text).
VERBS = {"send": (2, None), "expect-message": (0, None), "expect-no-message": (0, 0),
         "expect-receipt": (0, 0), "presence": (1, None), "expect-presence": (2, 2),
         "subscribe": (1, 1), "unsubscribe": (1, 1), "authorize": (1, 1), "deny": (1, 1),
         "expect-subscribe": (1, 1), "expect-subscribed": (1, 1), "expect-unsubscribe": (1, 1),
         "expect-unsubscribed": (1, 1), "expect-roster": (1, 1), "sleep": (1, 1)}


class StepError(Exception):
    """A step did not pass; the message says why."""


class ScriptError(Exception):
    """The script cannot be run (unknown verb, missing argument)."""


def parse_steps(text):
    """Returns [(verb, positional words, named arguments)] from ';'- or newline-separated steps."""
    steps = []
    for raw in text.replace("\n", ";").split(";"):
        raw = raw.split("#", 1)[0].strip()
        if not raw:
            continue
        words = raw.split()
        positional, named = [], {}
        for word in words[1:]:
            key, sep, value = word.partition("=")
            if sep and key in NAMED:
                named[key] = value
            else:
                positional.append(word)
        steps.append((words[0], positional, named))
    return steps


def bare(jid):
    return str(slixmpp.JID(jid).bare)


class Buddy(slixmpp.ClientXMPP):
    """The client: records every message and presence that arrives and runs the steps."""

    def __init__(self, args, steps):
        super().__init__(args.jid, args.password,
                         plugin_config={"feature_mechanisms": {"unencrypted_plain": True}})
        self.args = args
        self.steps = steps
        self.events = []
        self.arrived = asyncio.Event()
        self.last_receipt_id = None
        self.finished = asyncio.get_event_loop().create_future()
        self.connection_failures = 0
        self.started = time.monotonic()
        # Subscriptions are part of what the scenarios test: never answer them by ourselves.
        self.auto_authorize = None
        self.auto_subscribe = False
        # The test servers use self-signed certificates.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0184", {"auto_ack": not args.no_auto_receipt})
        self.register_plugin("xep_0199")
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("presence", self.on_presence)
        self.add_event_handler("receipt_received", self.on_receipt)
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("connection_failed", self.on_connection_failed)

    def say(self, text):
        print(f"[{time.monotonic() - self.started:7.3f} {self.args.jid}] {text}", flush=True)

    def record(self, event):
        self.events.append(event)
        self.arrived.set()

    def on_message(self, msg):
        if msg["type"] not in ("chat", "normal", "headline") or not msg["body"]:
            return
        requested = bool(msg["request_receipt"])
        self.say(f"<< message from {msg['from']}: {msg['body']!r}"
                 + (" (asks a receipt)" if requested else ""))
        self.record({"kind": "message", "from": bare(msg["from"]), "body": msg["body"],
                     "request": requested})

    def on_receipt(self, msg):
        self.say(f"<< receipt from {msg['from']} for {msg['receipt']}")
        self.record({"kind": "receipt", "from": bare(msg["from"]), "id": msg["receipt"]})

    def on_presence(self, pres):
        kind = pres["type"]
        if kind in ("available", "away", "xa", "dnd", "chat"):
            state = "available" if kind == "chat" else kind
            kind = "presence"
        elif kind == "unavailable":
            state, kind = "unavailable", "presence"
        else:
            state = None
        if bare(pres["from"]) == bare(self.args.jid) and kind == "presence":
            return  # our own presence reflected by the server
        status = pres["status"] or ""
        self.say(f"<< presence from {pres['from']}: {pres['type']}"
                 + (f" {status!r}" if status else ""))
        self.record({"kind": kind, "from": bare(pres["from"]), "state": state, "status": status})

    def finish(self, result, why=None):
        if self.finished.done():
            return
        if why:
            print(f"buddy {self.args.jid}: {why}", file=sys.stderr, flush=True)
            self.say(f"FAIL: {why}")
        self.finished.set_result(result)

    def on_failed_auth(self, _):
        self.finish(1, "authentication failed")

    def on_disconnected(self, _):
        self.finish(1, "disconnected before the steps ended")

    def on_connection_failed(self, error):
        self.connection_failures += 1
        if self.connection_failures >= 3:
            self.finish(1, f"cannot connect to {self.args.host}:{self.args.port}: {error}")

    async def on_session_start(self, _):
        try:
            await self.get_roster()
            if not self.args.no_initial_presence:
                self.send_presence()
            self.say("session started")
            if self.args.ready_file:
                with open(self.args.ready_file, "w") as f:
                    f.write("ready\n")
            await self.run_steps()
            self.say("all steps passed")
            self.finish(0)
        except StepError as e:
            self.finish(1, str(e))
        except ScriptError as e:
            self.finish(2, str(e))

    async def wait_for(self, what, match, timeout, consume_older_from=None):
        """Waits until an event satisfying match() is recorded (earlier ones count too)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if match(event):
                    del self.events[i]
                    if consume_older_from is not None:
                        self.events[:] = [e for j, e in enumerate(self.events)
                                          if j >= i or e["kind"] != event["kind"]
                                          or e["from"] != event["from"]]
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise StepError(f"timed out after {timeout:g} s waiting for {what}")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def run_steps(self):
        for number, (verb, pos, named) in enumerate(self.steps, 1):
            self.say(f"step {number}: {verb} {' '.join(pos)}"
                     + "".join(f" {k}={v}" for k, v in named.items()))
            try:
                await self.run_step(verb, pos, named)
            except StepError as e:
                raise StepError(f"step {number} ({verb}): {e}") from None
            except ScriptError as e:
                raise ScriptError(f"step {number} ({verb}): {e}") from None

    async def run_step(self, verb, pos, named):
        timeout = float(named.get("timeout", DEFAULT_TIMEOUT))

        def need(n):
            if len(pos) < n:
                raise ScriptError(f"needs {n} argument(s)")

        if verb == "send":
            need(2)
            msg = self.make_message(mto=pos[0], mbody=" ".join(pos[1:]), mtype="chat")
            msg["id"] = self.new_id()
            if named.get("receipt") == "T":
                msg["request_receipt"] = True
                self.last_receipt_id = msg["id"]
            msg.send()
        elif verb == "expect-message":
            sender = bare(named["from"]) if "from" in named else None
            text = " ".join(pos)
            want_request = named.get("request") == "T"
            await self.wait_for(
                f"a message{' from ' + sender if sender else ''} containing {text!r}",
                lambda e: e["kind"] == "message" and (sender is None or e["from"] == sender)
                and text in e["body"] and (not want_request or e["request"]), timeout)
        elif verb == "expect-no-message":
            timeout = float(named.get("timeout", 3))
            await asyncio.sleep(timeout)
            got = [e for e in self.events if e["kind"] == "message"]
            if got:
                raise StepError(f"a message arrived: {got[0]['body']!r} from {got[0]['from']}")
        elif verb == "expect-receipt":
            if self.last_receipt_id is None:
                raise ScriptError("no earlier send with receipt=T")
            wanted = self.last_receipt_id
            await self.wait_for(f"a receipt for message {wanted}",
                                lambda e: e["kind"] == "receipt" and e["id"] == wanted, timeout)
        elif verb == "presence":
            need(1)
            state, status = pos[0], " ".join(pos[1:]) or None
            if state == "unavailable":
                self.send_presence(ptype="unavailable", pstatus=status)
            elif state in ("available", "chat", "away", "xa", "dnd"):
                show = None if state == "available" else state
                self.send_presence(pshow=show, pstatus=status)
            else:
                raise ScriptError(f"unknown presence state {state!r}")
        elif verb == "expect-presence":
            need(2)
            who, state, text = bare(pos[0]), pos[1], named.get("text", "")
            states = {"online": ("available", "away", "xa", "dnd")}.get(state, (state,))
            await self.wait_for(
                f"presence {state} from {who}" + (f" with status {text!r}" if text else ""),
                lambda e: e["kind"] == "presence" and e["from"] == who and e["state"] in states
                and text in e["status"], timeout, consume_older_from=who)
        elif verb in ("subscribe", "unsubscribe", "authorize", "deny"):
            need(1)
            ptype = {"subscribe": "subscribe", "unsubscribe": "unsubscribe",
                     "authorize": "subscribed", "deny": "unsubscribed"}[verb]
            self.send_presence(pto=bare(pos[0]), ptype=ptype)
        elif verb in ("expect-subscribe", "expect-subscribed", "expect-unsubscribe",
                      "expect-unsubscribed"):
            need(1)
            who, kind = bare(pos[0]), verb[len("expect-"):]
            await self.wait_for(f"presence type {kind} from {who}",
                                lambda e: e["kind"] == kind and e["from"] == who, timeout)
        elif verb == "expect-roster":
            need(1)
            who, sub = bare(pos[0]), named.get("subscription")
            deadline = time.monotonic() + timeout
            while True:
                roster = self.client_roster
                if who in roster and (sub is None or roster[who]["subscription"] == sub):
                    break
                if time.monotonic() > deadline:
                    have = roster[who]["subscription"] if who in roster else "no item"
                    raise StepError(f"roster: {who} is {have}, wanted {sub or 'an item'}")
                await asyncio.sleep(0.1)
        elif verb == "sleep":
            need(1)
            await asyncio.sleep(float(pos[0]))
        else:
            raise ScriptError(f"unknown step {verb!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jid", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--host", default="127.0.0.1", help="the XMPP server's address")
    parser.add_argument("--port", type=int, default=5222, help="its c2s port")
    parser.add_argument("--steps", help="steps separated by ';'")
    parser.add_argument("--script", help="a file with one step per line")
    parser.add_argument("--timeout", type=float, default=120,
                        help="the whole run fails after this many seconds (default 120)")
    parser.add_argument("--ready-file",
                        help="written once the session has started (roster and presence sent)")
    parser.add_argument("--no-initial-presence", action="store_true")
    parser.add_argument("--no-auto-receipt", action="store_true")
    parser.add_argument("--debug", action="store_true", help="slixmpp's debug log on stderr")
    args = parser.parse_args()
    if (args.steps is None) == (args.script is None):
        parser.error("give exactly one of --steps and --script")
    text = args.steps if args.steps is not None else open(args.script).read()
    steps = parse_steps(text)
    for number, (verb, positional, _) in enumerate(steps, 1):
        if verb not in VERBS:
            print(f"buddy: step {number}: unknown step {verb!r}", file=sys.stderr)
            return 2
        fewest, most = VERBS[verb]
        if len(positional) < fewest or (most is not None and len(positional) > most):
            print(f"buddy: step {number} ({verb}): wrong number of arguments "
                  f"({' '.join(positional)!r}; named values are single words)", file=sys.stderr)
            return 2
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR,
                        format="%(levelname)s %(message)s")

    loop = asyncio.get_event_loop()
    buddy = Buddy(args, steps)
    buddy.connect(address=(args.host, args.port), force_starttls=False)
    try:
        result = loop.run_until_complete(asyncio.wait_for(buddy.finished, args.timeout))
    except asyncio.TimeoutError:
        print(f"buddy {args.jid}: gave up after {args.timeout:g} s", file=sys.stderr)
        result = 1
    # Let the last stanzas leave before the stream closes; slixmpp's leftover tasks are noise.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    closed = buddy.disconnected
    buddy.disconnect(wait=2.0)
    try:
        loop.run_until_complete(asyncio.wait_for(closed, 5))
    except asyncio.TimeoutError:
        pass
    return result


if __name__ == "__main__":
    sys.exit(main())
