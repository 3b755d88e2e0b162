#!/usr/bin/env python3
"""Times one DNS failover case, from the client's namespace (benchmarks/run.sh dns-failover).

    dns_observe.py --server IP --name NAME --old ADDR --new ADDR --new-body TEXT --ttl S --fault CMD
                   [--observe S] [--seed N]

A client resolves NAME at the server and keeps the answer for the record's TTL (as a caching resolver
would), asking http://ADDRESS/ every 100 ms (1 s timeout). Once it has resolved, the fault (CMD, a shell
command) is started after a random part of the TTL, so that the fault falls anywhere in the client's cache
lifetime. From then on the record is read at the server every 50 ms. Prints one line of key=value:

    record_ms  fault to the first answer at the server holding NEW and not OLD ("-": never, within --observe)
    client_ms  fault to the client's first answer whose body is TEXT ("-": never)
    moved      1 when the server ever answered NEW during the observation (a false alarm when the fault was one)
"""
import argparse
import random
import re
import subprocess
import threading
import time
import urllib.request

ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


def dig(server, name):
    try:
        out = subprocess.run(["dig", "+short", "+time=1", "+tries=1", "@" + server, name, "A"],
                             capture_output=True, text=True, timeout=3).stdout
    except subprocess.TimeoutExpired:
        return None
    found = {line for line in out.split() if ADDRESS.match(line)}
    return found or None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--new-body", required=True)
    ap.add_argument("--ttl", type=float, required=True)
    ap.add_argument("--fault", required=True)
    ap.add_argument("--observe", type=float, default=30)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    rnd = random.Random(a.seed)

    state = {"fault": None, "client": None, "resolved": threading.Event(), "stop": False}

    def client():
        address, until = None, 0.0
        while not state["stop"]:
            now = time.monotonic()
            if address is None or now >= until:
                found = dig(a.server, a.name)
                if found:
                    address, until = sorted(found)[0], now + a.ttl
                    state["resolved"].set()
            body = None
            if address:
                try:
                    with urllib.request.urlopen("http://%s/" % address, timeout=1) as r:
                        body = r.read().decode().strip()
                except Exception:
                    body = None
            t0 = state["fault"]
            if t0 is not None and state["client"] is None and body == a.new_body:
                state["client"] = time.monotonic() - t0
            time.sleep(0.1)

    t = threading.Thread(target=client, daemon=True)
    t.start()
    if not state["resolved"].wait(30):
        print("record_ms=- client_ms=- moved=0 error=no-answer-before-the-fault")
        return
    time.sleep(rnd.uniform(0, a.ttl))
    state["fault"] = time.monotonic()
    subprocess.run(a.fault, shell=True, check=True)
    record, moved = None, 0
    deadline = state["fault"] + a.observe
    while time.monotonic() < deadline:
        found = dig(a.server, a.name)
        if found and a.new in found:
            moved = 1
            if record is None and a.old not in found:
                record = time.monotonic() - state["fault"]
        if record is not None and state["client"] is not None:
            break
        time.sleep(0.05)
    state["stop"] = True
    ms = lambda s: "-" if s is None else "%d" % round(s * 1000)
    print("record_ms=%s client_ms=%s moved=%d" % (ms(record), ms(state["client"]), moved))


if __name__ == "__main__":
    main()
