#!/usr/bin/env python3
"""conduitc and Aerleon side by side on the same generated policy.

Usage:

    cargo build --release
    python3 scripts/aerleon-compare.py                    # 10,000 flows, 200 zones
    python3 scripts/aerleon-compare.py --flows 100000 --zones 1000
    python3 scripts/aerleon-compare.py --conduitc PATH --runs 5 --keep DIR

Not part of `cargo test`. Needs Python 3.9 or later, `venv` and `pip`, and
network access to PyPI: the script creates a virtual environment in a
temporary directory and installs `aerleon==1.18.*` into it (or uses the one
given with `--aerleon-venv`).

What it does:

1. Generates one policy for both tools: ZONES zones (a /16 each, 20 hosts
   each) and FLOWS flows over conduits between neighbouring zones (a
   ring), each flow from one host to two hosts of the other zone on
   `tcp/502` and one port of its own. For conduitc it is a policy in
   files of about 2 MB; for Aerleon, a YAML policy (one term per flow and
   a final deny) with YAML network and service definitions.
2. Runs each tool RUNS times per target as a whole process and takes the
   median CPU time (user + system of the process and its children):
   `conduitc build DIR --target nftables` / `--target cisco-ios` (one
   configuration on stdout) and `aclgen --policy_file ...` with a policy
   whose only target is `nftables` (`mixed FORWARD`) / `cisco`
   (`extended`), with `--max_renderers 1` (one policy file, so no worker
   processes are needed).
3. Checks that the two nftables outputs admit the same allow-list: both
   are read by a small nftables reader that supports what the two tools
   write (sets, chains, `jump`, address, port and `ct state` matches),
   which refuses any other statement. Every packet of every flow
   (each destination and port; with `--sample N`, N flows drawn at random
   with a fixed seed) must be admitted as a new connection by both, and N
   random host-to-host packets on the policy's ports (the same number as
   the flows checked) must get the verdict the generated allow-list gives
   them, in both.
4. Prints a table of CPU medians and the ratio Aerleon / conduitc.

The conduitc binary is `target/release/conduitc` unless `--conduitc` names
another. The policy must be within conduitc's limits (docs/limits.md).
"""

import argparse
import bisect
import ipaddress
import os
import random
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOSTS = 20
TODAY = "2026-12-01"


# --------------------------------------------------------------------------
# The policy


class Spec:
    """The generated policy, as both tools are given it."""

    def __init__(self, zones, flows):
        self.zones = max(zones, 2)
        self.flows = []  # (conduit, flow, src zone, src host, dst zone, [dst hosts], [ports])
        per = -(-flows // self.zones)
        made = 0
        for c in range(self.zones):
            x, y = c, (c + 1) % self.zones
            for f in range(per):
                if made == flows:
                    break
                made += 1
                src, dst = (x, y) if f % 2 == 0 else (y, x)
                dsts = [(f // 2) % HOSTS, (f // 2 + 7) % HOSTS]
                self.flows.append((c, f, src, f % HOSTS, dst, dsts, [502, 30000 + f]))

    @staticmethod
    def host_ip(zone, host):
        return f"{10 + zone // 250}.{zone % 250}.0.{host + 1}"

    @staticmethod
    def net(zone):
        return f"{10 + zone // 250}.{zone % 250}.0.0/16"

    def ports(self):
        return sorted({p for fl in self.flows for p in fl[6]})

    def admitted(self):
        """Every (src ip, dst ip, port) the allow-list admits."""
        out = set()
        for (_, _, sz, sh, dz, dhs, ports) in self.flows:
            s = self.host_ip(sz, sh)
            for dh in dhs:
                for p in ports:
                    out.add((s, self.host_ip(dz, dh), p))
        return out

    def conduitc_text(self):
        lines = [
            'owner plant-ops {\n  name "Plant operations"\n  contact "ot@example.com"\n}\n\n'
        ]
        levels = ["1", "2", "3", "3.5", "2", "1"]
        for z in range(self.zones):
            lines.append(
                f"zone z{z} {{\n  level {levels[z % len(levels)]}\n  owner plant-ops\n"
                f"  sl 2\n  networks {self.net(z)}\n"
            )
            for h in range(HOSTS):
                lines.append(f"  host h{h} = {self.host_ip(z, h)}\n")
            lines.append("}\n\n")
        by_conduit = {}
        for fl in self.flows:
            by_conduit.setdefault(fl[0], []).append(fl)
        for c in range(self.zones):
            x, y = c, (c + 1) % self.zones
            lines.append(f"conduit c{c} {{\n  zones z{x}, z{y}\n  owner plant-ops\n  sl 2\n")
            for (_, f, sz, sh, dz, dhs, ports) in by_conduit.get(c, []):
                to = ", ".join(f"z{dz}.h{d}" for d in dhs)
                svc = ", ".join(f"tcp/{p}" for p in ports)
                lines.append(
                    f"  flow f{f} {{\n    from z{sz}.h{sh}\n    to {to}\n    service {svc}\n"
                    f'    reason "Generated flow {f} of conduit {c}"\n'
                    '    waive W101 "generated"\n    waive W102 "generated"\n  }\n'
                )
            lines.append("}\n\n")
        return "".join(lines)

    def aerleon_files(self, target_line):
        """(policy YAML, networks YAML, services YAML)."""
        nets = ["networks:\n"]
        for z in range(self.zones):
            for h in range(HOSTS):
                nets.append(
                    f"  Z{z}_H{h}:\n    values:\n      - address: {self.host_ip(z, h)}/32\n"
                )
        svcs = ["services:\n"]
        for p in self.ports():
            svcs.append(f"  P{p}:\n    - port: {p}\n      protocol: tcp\n")
        pol = [f"filters:\n- header:\n    targets:\n      {target_line}\n  terms:\n"]
        for (c, f, sz, sh, dz, dhs, ports) in self.flows:
            dst = " ".join(f"Z{dz}_H{d}" for d in dhs)
            port = " ".join(f"P{p}" for p in ports)
            pol.append(
                f"  - name: c{c}-f{f}\n    source-address: Z{sz}_H{sh}\n"
                f"    destination-address: {dst}\n    protocol: tcp\n"
                f"    destination-port: {port}\n    action: accept\n"
            )
        pol.append("  - name: default-deny\n    action: deny\n")
        return "".join(pol), "".join(nets), "".join(svcs)


def write_conduitc(spec, directory):
    """The conduitc policy in files of about 2 MB (a file may hold 4 MiB)."""
    directory.mkdir(parents=True)
    text = spec.conduitc_text()
    part, n = [], 0
    size = 0
    for decl in text.split("}\n\n"):
        if not decl.strip():
            continue
        part.append(decl + "}\n\n")
        size += len(decl) + 3
        if size > 2_000_000:
            (directory / f"part{n:04}.conduit").write_text("".join(part))
            part, size, n = [], 0, n + 1
    (directory / f"part{n:04}.conduit").write_text("".join(part))
    return len(text)


def write_aerleon(spec, base, name, target_line):
    (base / "pol").mkdir(parents=True)
    (base / "def").mkdir()
    (base / "out").mkdir()
    pol, nets, svcs = spec.aerleon_files(target_line)
    (base / "pol" / f"{name}.yaml").write_text(pol)
    (base / "def" / "networks.yaml").write_text(nets)
    (base / "def" / "services.yaml").write_text(svcs)


# --------------------------------------------------------------------------
# Running


def cpu_of(cmd, cwd=None, stdout=None):
    """CPU seconds (user + system) of `cmd` and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(cmd, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{r.stderr.decode()[-4000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_to(cmd, path):
    """CPU seconds of `cmd`, its standard output written to `path`."""
    with open(path, "wb") as f:
        return cpu_of(cmd, stdout=f)


def median_cpu(runs, cmd, **kw):
    return statistics.median(cpu_of(cmd, **kw) for _ in range(runs))


# --------------------------------------------------------------------------
# A small nftables reader: just what both tools write for this policy.


class Unsupported(Exception):
    pass


def ip_interval(text):
    net = ipaddress.ip_network(text, strict=False)
    return (net.version, int(net.network_address), int(net.broadcast_address))


def port_interval(text):
    lo, _, hi = text.partition("-")
    return (int(lo), int(hi or lo))


def split_braced(body):
    return [e.strip() for e in body.replace("\n", " ").split(",") if e.strip()]


def read_nft(text):
    """(sets, chains, base chain): sets by name as element strings, chains by
    name as lists of rule lines."""
    sets, chains, base = {}, {}, None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if line.startswith("set ") and line.endswith("{"):
            name = line.split()[1]
            body = []
            while i < len(lines) and lines[i].strip() != "}":
                body.append(lines[i])
                i += 1
            i += 1
            joined = " ".join(body)
            if "elements = {" in joined:
                inner = joined.split("elements = {", 1)[1].rsplit("}", 1)[0]
                sets[name] = split_braced(inner)
            else:
                sets[name] = []
        elif line.startswith("chain ") and line.endswith("{"):
            name = line.split()[1]
            rules = []
            while i < len(lines) and lines[i].strip() != "}":
                r = lines[i].strip()
                i += 1
                if not r:
                    continue
                if r.startswith("type filter hook"):
                    if "hook forward" in r:
                        base = name
                    continue
                rules.append(r)
            i += 1
            chains[name] = rules
    if base is None:
        raise Unsupported("no chain hooked to forward")
    return sets, chains, base


def parse_rule(line, sets):
    """(conditions, action, jump target). Conditions: ('saddr'|'daddr',
    intervals), ('proto', name), ('dport', intervals), ('ct', states)."""
    tok = shlex.split(line)
    conds, i = [], 0

    def value(kind):
        nonlocal i
        t = tok[i]
        if t.startswith("@"):
            i += 1
            items = sets[t[1:]]
        elif t == "{":
            j = tok.index("}", i)
            items = split_braced(" ".join(tok[i + 1 : j]))
            i = j + 1
        else:
            i += 1
            items = [t.rstrip(",")]
        return [kind(x) for x in items]

    while i < len(tok):
        t = tok[i]
        if t in ("ip", "ip6") and tok[i + 1] in ("saddr", "daddr"):
            field = tok[i + 1]
            i += 2
            ivs = value(ip_interval)
            conds.append((field, 4 if t == "ip" else 6, ivs))
        elif t in ("tcp", "udp") and tok[i + 1] == "dport":
            i += 2
            conds.append(("proto", t))
            conds.append(("dport", value(port_interval)))
        elif t == "ct" and tok[i + 1] == "state":
            conds.append(("ct", set(tok[i + 2].split(","))))
            i += 3
        elif t == "counter":
            i += 1
        elif t == "limit":
            # limit rate N/second [burst N packets]
            i += 3
            if i < len(tok) and tok[i] == "burst":
                i += 3
        elif t == "log":
            i += 1
            while i < len(tok) and tok[i] in ("prefix", "level"):
                i += 2
        elif t == "comment":
            i += 2
        elif t in ("accept", "drop"):
            return conds, t, None
        elif t == "jump":
            return conds, "jump", tok[i + 1]
        else:
            raise Unsupported(f"statement `{t}` in: {line}")
    return conds, None, None


def flatten(sets, chains, name, prefix, out, depth=0):
    """Every path to `accept` for a new connection, as a list of condition
    lists; refuses a `drop` that could hide a later accept from one."""
    if depth > 8:
        raise Unsupported("jumps nested too deep")
    for line in chains[name]:
        conds, action, target = parse_rule(line, sets)
        ct = [c for c in conds if c[0] == "ct"]
        if any("new" not in c[1] for c in ct):
            if action == "drop" and ct and all(c[1] == {"invalid"} for c in ct):
                continue  # never a new connection
            if action == "accept":
                continue  # established replies
        conds = [c for c in conds if c[0] != "ct"]
        if action == "accept":
            out.append(prefix + conds)
        elif action == "jump":
            flatten(sets, chains, target, prefix + conds, out, depth + 1)
        elif action == "drop":
            if conds:
                raise Unsupported(f"a conditional drop: {line}")
            return True  # nothing after an unconditional drop is reached
        elif action is None and conds:
            continue  # a rule without verdict (counter, log)
    return False


class Admits:
    """The accept paths of one nftables file, indexed by destination port
    and by the /16 blocks of their IPv4 sources."""

    def __init__(self, text):
        sets, chains, base = read_nft(text)
        paths = []
        flatten(sets, chains, base, [], paths)
        self.index = {}
        for p in paths:
            ports = [c for c in p if c[0] == "dport"]
            port_keys = [None]
            if ports and all(hi - lo <= 4096 for (lo, hi) in ports[0][1]):
                port_keys = [x for (lo, hi) in ports[0][1] for x in range(lo, hi + 1)]
            srcs = [c for c in p if c[0] == "saddr"]
            src_keys = [None]
            if srcs:
                blocks = set()
                for (v, lo, hi) in srcs[0][2]:
                    if v != 4:
                        continue
                    if (hi >> 16) - (lo >> 16) > 256:
                        blocks = None
                        break
                    blocks.update(range(lo >> 16, (hi >> 16) + 1))
                if blocks is not None:
                    src_keys = sorted(blocks)
            for pk in port_keys:
                for sk in src_keys:
                    self.index.setdefault((pk, sk), []).append(p)

    @staticmethod
    def matches(path, src, dst, port):
        for c in path:
            kind = c[0]
            if kind in ("saddr", "daddr"):
                fam, ivs = c[1], c[2]
                a = src if kind == "saddr" else dst
                if fam != 4 or not any(v == 4 and lo <= a <= hi for (v, lo, hi) in ivs):
                    return False
            elif kind == "proto":
                if c[1] != "tcp":
                    return False
            elif kind == "dport":
                if not any(lo <= port <= hi for (lo, hi) in c[1]):
                    return False
        return True

    def admits(self, src, dst, port):
        s, d = int(ipaddress.ip_address(src)), int(ipaddress.ip_address(dst))
        for key in ((port, s >> 16), (port, None), (None, s >> 16), (None, None)):
            for p in self.index.get(key, []):
                if self.matches(p, s, d, port):
                    return True
        return False


def check_allow_lists(spec, texts, sample, seed=15):
    admits = {name: Admits(text) for name, text in texts.items()}
    rng = random.Random(seed)
    flows = spec.flows
    if sample and sample < len(flows):
        flows = rng.sample(flows, sample)
    checked = 0
    for (c, f, sz, sh, dz, dhs, ports) in flows:
        s = spec.host_ip(sz, sh)
        for dh in dhs:
            d = spec.host_ip(dz, dh)
            for p in ports:
                checked += 1
                for name, a in admits.items():
                    if not a.admits(s, d, p):
                        sys.exit(f"{name} does not admit flow c{c}/f{f}: {s} -> {d} tcp/{p}")
    allowed = spec.admitted()
    ports = spec.ports()
    negatives = 0
    for _ in range(len(flows)):
        sz = rng.randrange(spec.zones)
        dz = rng.choice([(sz + 1) % spec.zones, (sz - 1) % spec.zones, rng.randrange(spec.zones)])
        s = spec.host_ip(sz, rng.randrange(HOSTS))
        d = spec.host_ip(dz, rng.randrange(HOSTS))
        p = rng.choice(ports)
        want = (s, d, p) in allowed
        negatives += not want
        for name, a in admits.items():
            if a.admits(s, d, p) != want:
                verdict = "admits" if not want else "refuses"
                sys.exit(f"{name} {verdict} {s} -> {d} tcp/{p}, against the allow-list")
    return len(flows), checked, len(flows), negatives


# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flows", type=int, default=10_000)
    ap.add_argument("--zones", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3, help="runs per command (median)")
    ap.add_argument("--conduitc", default=None, help="binary (default target/release/conduitc)")
    ap.add_argument("--aerleon-venv", default=None, help="a venv with aerleon 1.18 installed")
    ap.add_argument("--sample", type=int, default=0, help="check N random flows (0: all)")
    ap.add_argument("--keep", default=None, help="write the policies and outputs here")
    args = ap.parse_args()

    repo = Path(__file__).resolve().parent.parent
    conduitc = Path(args.conduitc or repo / "target" / "release" / "conduitc").resolve()
    if not conduitc.is_file():
        sys.exit(f"{conduitc} not found: run `cargo build --release` or give --conduitc")

    tmp_holder = None
    if args.keep:
        work = Path(args.keep).resolve()
        work.mkdir(parents=True, exist_ok=False)
    else:
        tmp_holder = tempfile.TemporaryDirectory(prefix="aerleon-compare-")
        work = Path(tmp_holder.name)

    if args.aerleon_venv:
        venv = Path(args.aerleon_venv).resolve()
    else:
        venv = work / "venv"
        print(f"installing aerleon 1.18 into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "aerleon==1.18.*"], check=True
        )
    aclgen = venv / "bin" / "aclgen"
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import importlib.metadata as m; print(m.version('aerleon'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()

    spec = Spec(args.zones, args.flows)
    size = write_conduitc(spec, work / "conduitc")
    targets = {
        "nftables": ("nftables", "nftables: mixed FORWARD", "nft"),
        "cisco": ("cisco-ios", "cisco: conduit-acl extended", "acl"),
    }
    for name, (_, line, _) in targets.items():
        write_aerleon(spec, work / f"aerleon-{name}", "policy", line)
    print(
        f"{len(spec.flows)} flows, {spec.zones} zones; conduitc policy {size / 1e6:.1f} MB; "
        f"aerleon {version}; {conduitc}; median of {args.runs} runs",
        file=sys.stderr,
    )

    rows, outputs = [], {}
    for name, (ctarget, _, ext) in targets.items():
        out_c = work / f"conduitc.{ext}"
        cmd = [str(conduitc), "build", str(work / "conduitc"), "--target", ctarget, "--today", TODAY]
        cpu_c = statistics.median(run_to(cmd, out_c) for _ in range(args.runs))
        base = work / f"aerleon-{name}"
        cmd = [
            str(aclgen), "--base_directory", str(base), "--definitions_directory", str(base / "def"),
            "--output_directory", str(base / "out"), "--policy_file", str(base / "pol" / "policy.yaml"),
            "--max_renderers", "1", "--exp_info", "0",
        ]
        started = time.time()
        cpu_a = median_cpu(args.runs, cmd, stdout=subprocess.DEVNULL)
        out_a = base / "out" / f"policy.{ext}"
        if not out_a.is_file():
            sys.exit(f"aclgen wrote no {out_a} ({time.time() - started:.0f} s)")
        outputs[name] = (out_c.read_text(), out_a.read_text())
        rows.append((name, cpu_a, cpu_c))

    nft_c, nft_a = outputs["nftables"]
    flows, packets, randoms, refused = check_allow_lists(
        spec, {"conduitc": nft_c, "aerleon": nft_a}, args.sample
    )
    print(
        f"allow-list: both nftables outputs admit all {packets} packets of {flows} flows, "
        f"and agree with it on {randoms} random packets ({refused} of them refused)",
        file=sys.stderr,
    )
    print(f"| flows / zones | target | Aerleon CPU s | conduitc CPU s | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for name, a, c in rows:
        print(
            f"| {len(spec.flows):,} / {spec.zones:,} | {name} | {a:.2f} | {c:.3f} | "
            f"{a / c if c else float('inf'):.0f}x |"
        )
    if tmp_holder:
        tmp_holder.cleanup()


if __name__ == "__main__":
    main()
