"""Benchmark of alert matching: every organisation's watch list against new indicators.

    python bench/matching.py [--organisations 10000] [--indicators 100000] [--per-report 100]
                             [--naive-sample 2000] [--seed 7]

Builds watch lists for N organisations (per organisation: two domains, an IPv4 /24 and an
IPv6 /48, an ASN, a brand name and two products, one with its CPE: 8 entries, 80,000 for
10,000 organisations), then matches M new indicators (domains, subdomains and look-alikes of
members' domains, URLs, e-mail addresses, IPv4 and IPv6 addresses, ASNs, CVE ids) grouped in
reports of `--per-report` indicators with a sentence of text each (one in ten an advisory
naming a product next to a CVE id), as the worker does after publication. Prints the time
to build the index, the time to match, indicators per second, matches found, and the peak
memory of the process (resident set, and the index's own allocations measured with
tracemalloc on a second build).

For scale, `--naive-sample` indicators are also matched the obvious way (each indicator
against every entry) and the time is extrapolated to all of them.

The matching is the worker's own code (sharing.alerts.matching.ProfileIndex): pure Python
with no database, so the figures are those of the matching itself; reading the watch lists
from PostgreSQL is one sequential query.
"""

import argparse
import ipaddress
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sharing.alerts.lookalike import skeleton, unicode_label, within_one_edit
from sharing.alerts.matching import Asset, ProfileIndex, Published, host_of

WORDS = [
    "north",
    "wind",
    "grid",
    "power",
    "river",
    "bank",
    "trust",
    "first",
    "city",
    "metro",
    "alpine",
    "delta",
    "harbor",
    "summit",
    "prairie",
    "coastal",
    "granite",
    "union",
    "pioneer",
    "liberty",
    "atlas",
    "beacon",
    "cedar",
    "falcon",
    "meridian",
    "pacific",
    "orion",
    "sterling",
    "vertex",
    "zenith",
    "horizon",
    "keystone",
    "lumen",
    "nova",
    "quantum",
]
TLDS = ["com", "net", "org", "io", "de", "co.uk", "fr", "nl", "eu", "energy"]
VENDORS = [
    ("fortinet", "fortios"), ("microsoft", "exchange_server"), ("cisco", "ios_xe"),
    ("citrix", "netscaler_adc"), ("ivanti", "connect_secure"), ("vmware", "esxi"),
    ("paloaltonetworks", "pan-os"), ("atlassian", "confluence_server"), ("sap", "netweaver"),
    ("siemens", "simatic_s7-1500"), ("schneider-electric", "modicon_m580"), ("f5", "big-ip"),
]  # fmt: skip


def organisation_name(rng: random.Random, i: int) -> str:
    return f"{rng.choice(WORDS)}-{rng.choice(WORDS)}{i}"


def build_assets(count: int, rng: random.Random) -> tuple[list[Asset], list[str]]:
    assets: list[Asset] = []
    domains: list[str] = []
    next_id = 1

    def add(org: int, kind: str, value: str, cpe: str = "") -> None:
        nonlocal next_id
        assets.append(Asset(next_id, org, kind, value, cpe))
        next_id += 1

    for org in range(1, count + 1):
        name = organisation_name(rng, org)
        for tld in rng.sample(TLDS, 2):
            domain = f"{name}.{tld}"
            domains.append(domain)
            add(org, "domain", domain)
        add(org, "network", str(ipaddress.IPv4Network(((11 << 24) + (org << 8), 24))))
        add(org, "network", str(ipaddress.IPv6Network(((0x2A00 << 112) + (org << 80), 48))))
        add(org, "asn", f"AS{64512 + org}")
        add(org, "brand", f"{name.replace('-', ' ')} group")
        vendor, product = rng.choice(VENDORS)
        add(org, "product", f"{vendor} {product}".replace("_", " "),
            f"cpe:2.3:a:{vendor}:{product}:*:*:*:*:*:*:*:*")  # fmt: skip
        add(org, "product", f"{rng.choice(WORDS)} erp suite")
    return assets, domains


def build_indicators(
    count: int, organisations: int, domains: list[str], rng: random.Random
) -> list[tuple[str, str]]:
    """Mostly noise, as real feeds are; about 2 % touch a member."""
    indicators: list[tuple[str, str]] = []
    for _ in range(count):
        roll = rng.random()
        member = rng.choice(domains)
        if roll < 0.005:
            indicators.append(("domain", f"login.{member}"))
        elif roll < 0.01:
            label, _, rest = member.partition(".")
            typo = label[:3] + label[4] + label[3] + label[5:]
            indicators.append(("domain", f"{typo}.{rest}"))
        elif roll < 0.015:
            indicators.append(("url", f"https://{member}.secure-check.top/login"))
        elif roll < 0.02:
            org = rng.randint(1, organisations)
            indicators.append(("ipv4", str(ipaddress.IPv4Address((11 << 24) + (org << 8) + 7))))
        elif roll < 0.30:
            words = rng.sample(WORDS, 2)
            indicators.append(("domain", f"{words[0]}{rng.randint(1, 10**6)}-{words[1]}.xyz"))
        elif roll < 0.40:
            indicators.append(("url", f"http://cdn{rng.randint(1, 10**6)}.example.top/a.php"))
        elif roll < 0.45:
            indicators.append(("email", f"billing@{rng.choice(WORDS)}{rng.randint(1, 10**6)}.ru"))
        elif roll < 0.80:
            indicators.append(("ipv4", str(ipaddress.IPv4Address(rng.randint(1 << 24, 10 << 24)))))
        elif roll < 0.90:
            indicators.append(("ipv6", str(ipaddress.IPv6Address(rng.getrandbits(128)))))
        elif roll < 0.95:
            indicators.append(("asn", f"AS{rng.randint(1, 60000)}"))
        else:
            indicators.append(("cve", f"CVE-2024-{rng.randint(1000, 99999)}"))
    return indicators


def reports_of(
    indicators: list[tuple[str, str]], per_report: int, rng: random.Random
) -> list[Published]:
    reports = []
    for start in range(0, len(indicators), per_report):
        chunk = tuple(indicators[start : start + per_report])
        vendor, product = rng.choice(VENDORS)
        cves = [value for kind, value in chunk if kind == "cve"]
        # One report in ten is an advisory naming a product next to a CVE id.
        if cves and rng.random() < 0.1:
            text = (
                f"Advisory. Exploitation of {cves[0]} in {product.replace('_', ' ')} by "
                f"{vendor}; infrastructure listed below."
            )
        else:
            text = "Campaign notes: phishing and loader infrastructure listed below."
        reports.append(Published(observables=chunk, text=text))
    return reports


def naive_seconds(assets: list[Asset], sample: list[tuple[str, str]]) -> float:
    """Each indicator against every entry: the obvious way, without an index."""
    networks = [(a, ipaddress.ip_network(a.value)) for a in assets if a.kind == "network"]
    domains = [a for a in assets if a.kind == "domain"]
    started = time.process_time()
    for kind, value in sample:
        host = host_of(kind, value)
        if host is not None:
            label = unicode_label(host.split(".")[0])
            for asset in domains:
                mine = asset.value.split(".")[0]
                host == asset.value or host.endswith("." + asset.value)
                skeleton(label) == skeleton(mine) or within_one_edit(label, mine)
        elif kind in ("ipv4", "ipv6"):
            address = ipaddress.ip_address(value)
            for _asset, network in networks:
                address in network  # noqa: B015
    return time.process_time() - started


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--organisations", type=int, default=10_000)
    parser.add_argument("--indicators", type=int, default=100_000)
    parser.add_argument("--per-report", type=int, default=100)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    assets, domains = build_assets(args.organisations, rng)
    indicators = build_indicators(args.indicators, args.organisations, domains, rng)
    reports = reports_of(indicators, args.per_report, rng)
    rss_before = max_rss_mb()

    started, cpu = time.perf_counter(), time.process_time()
    index = ProfileIndex(assets)
    build, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    # Allocations measured on a second build: tracemalloc slows what it watches.
    tracemalloc.start()
    ProfileIndex(assets)
    _, index_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    started, cpu = time.perf_counter(), time.process_time()
    matches = [match for report in reports for match in index.match(report)]
    elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - cpu

    naive = naive_seconds(assets, indicators[: args.naive_sample])
    per_kind: dict[str, int] = {}
    for match in matches:
        per_kind[match.kind] = per_kind.get(match.kind, 0) + 1
    print(f"organisations             {args.organisations:>12,}")
    print(f"watch-list entries        {len(assets):>12,}")
    print(f"indicators                {len(indicators):>12,}  in {len(reports):,} reports")
    print(f"index build               {build:>12.2f} s  (CPU {build_cpu:.2f} s)")
    print(f"index allocations (peak)  {index_peak / 2**20:>12.1f} MB (tracemalloc)")
    print(f"matching                  {elapsed:>12.2f} s  (CPU {elapsed_cpu:.2f} s)")
    print(f"indicators per CPU second {len(indicators) / elapsed_cpu:>12,.0f}")
    print(f"per report ({args.per_report} indicators) {elapsed / len(reports) * 1000:>9.2f} ms")
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(per_kind.items()))
    print(f"matches                   {len(matches):>12,}  ({kinds})")
    print(f"peak RSS                  {max_rss_mb():>12.1f} MB (before the index: "
          f"{rss_before:.1f} MB)")  # fmt: skip
    extrapolated = naive / max(args.naive_sample, 1) * len(indicators)
    print(
        f"without an index          {extrapolated:>12.0f} s CPU for all indicators "
        f"(measured on {args.naive_sample:,}, domains and addresses only)"
    )


if __name__ == "__main__":
    main()
