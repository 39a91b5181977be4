#!/usr/bin/env python3
"""Print the comparison table from the figures t_compare.sh collected.

    table.py RESULTS

RESULTS has one figure a line: "ROW METRIC VALUE" (a metric measured
several times has several lines, in the order of the rounds). Medians are
shown with the range of the rounds. A ratio between two rows measured in
the same interleaved rounds is the median of the per-round ratios, so that
load that comes and goes on a shared machine cancels out; otherwise it is
the ratio of the medians. Prints figures and which targets they meet;
asserts nothing.
"""
import statistics
import sys

ROWS = [
    ("direct", "direct (routed through the gateway, no proxy)"),
    ("squid", "Squid 5 explicit, Basic auth (basic_ncsa_auth)"),
    ("squid_icpt", "Squid 5 intercept (nftables redirect)"),
    ("tinyproxy", "tinyproxy 1.11, BasicAuth"),
    ("pc_auth", "Portcullis explicit, Basic auth (workers = 1)"),
    ("pc_open", "Portcullis explicit, whitelisted (no auth)"),
    ("pc_auth_auto", "Portcullis explicit, Basic auth, workers = 0 (one loop per CPU, the default)"),
    ("pc_icpt", "Portcullis intercept, logged-in client"),
]


def load(path):
    data = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            try:
                value = float(parts[2])
            except ValueError:
                continue
            data.setdefault(parts[0], {}).setdefault(parts[1], []).append(value)
    return data


def med(data, row, metric):
    values = data.get(row, {}).get(metric)
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    return "%.*f" % (digits, v)


def fmt_range(data, row, metric, digits=0):
    values = data.get(row, {}).get(metric)
    if not values:
        return "n/a"
    m = statistics.median(values)
    if len(values) == 1:
        return fmt(m, digits)
    return "%s (%s–%s)" % (fmt(m, digits), fmt(min(values), digits), fmt(max(values), digits))


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


# rows measured on their own, not in the interleaved rounds
SEPARATE = {"pc_icpt"}


def pratio(data, row_a, row_b, metric):
    """Ratio of row_a to row_b for metric: paired by round when both rows
    took part in the same interleaved rounds, else of the medians."""
    a = data.get(row_a, {}).get(metric)
    b = data.get(row_b, {}).get(metric)
    if not a or not b:
        return None
    if len(a) == len(b) and row_a not in SEPARATE and row_b not in SEPARATE:
        pairs = [x / y for x, y in zip(a, b) if y]
        return statistics.median(pairs) if pairs else None
    return ratio(statistics.median(a), statistics.median(b))


def fmt_ratio(r):
    return "n/a" if r is None else "%.2f×" % r


def connect_ratio(data, row):
    """CONNECT through row against the direct GET of the same round."""
    a = data.get(row, {}).get("connect_mbs")
    b = data.get("direct", {}).get("get_mbs")
    if not a or not b:
        return None
    if len(a) == len(b):
        return statistics.median([x / y for x, y in zip(a, b) if y])
    return ratio(statistics.median(a), statistics.median(b))


def main():
    data = load(sys.argv[1])
    print("| path | req/s median (range) | ×direct | ×Squid | p50 ms | p99 ms (range) | p99 ×Squid "
          "| GET 100 MiB MB/s | ×direct | CONNECT MB/s | ×direct | CPU s/100 MiB "
          "| KiB/idle conn @2 000 | @10 000 |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for row, label in ROWS:
        if row not in data:
            continue
        get, con = med(data, row, "get_mbs"), med(data, row, "connect_mbs")
        mem10 = med(data, row, "mem10k")
        held10 = med(data, row, "held10k")
        mem10_text = fmt(mem10, 2)
        if mem10 is not None and held10 is not None and held10 < 10000:
            mem10_text += " (only %d held)" % held10
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, fmt_range(data, row, "rps"), fmt_ratio(pratio(data, row, "direct", "rps")),
            fmt_ratio(pratio(data, row, "squid", "rps")), fmt_range(data, row, "p50", 2),
            fmt_range(data, row, "p99", 2), fmt_ratio(pratio(data, row, "squid", "p99")),
            fmt(get), fmt_ratio(pratio(data, row, "direct", "get_mbs")), fmt(con),
            fmt_ratio(connect_ratio(data, row)),
            fmt(med(data, row, "cpu_s"), 2), fmt(med(data, row, "mem2k"), 2), mem10_text))

    # the quiet figure comes from runs alternating with the flooded ones
    quiet, flood = med(data, "pc_quiet", "rps"), med(data, "pc_flood", "rps")
    flood_ratio = pratio(data, "pc_flood", "pc_quiet", "rps")
    if flood is not None:
        print()
        print("Portcullis Basic auth while another client sends wrong passwords at %s req/s "
              "(answers: %s): %s req/s, %s of the quiet figure (%s req/s in the runs between)." % (
                  fmt_range(data, "pc_flood", "flood_rate"),
                  ", ".join("%d× %s" % (sum(v), k[7:]) for k, v in sorted(
                      data["pc_flood"].items()) if k.startswith("status_") and sum(v))
                  or "answers not counted",
                  fmt_range(data, "pc_flood", "rps"), fmt_ratio(flood_ratio),
                  fmt_range(data, "pc_quiet", "rps")))

    print()
    print("Targets (ratios from this run, paired by round):")
    checks = [
        ("authenticated req/s >= 2.5× Squid's", pratio(data, "pc_auth", "squid", "rps"), 2.5, True),
        ("authenticated req/s, aim 0.5× direct", pratio(data, "pc_auth", "direct", "rps"), 0.5, True),
        ("authenticated p99 <= 0.4× Squid's", pratio(data, "pc_auth", "squid", "p99"), 0.4, False),
        ("authenticated within 10 % of unauthenticated", pratio(data, "pc_auth", "pc_open", "rps"),
         0.9, True),
        ("100 MiB GET >= 0.7× direct", pratio(data, "pc_auth", "direct", "get_mbs"), 0.7, True),
        ("CONNECT >= 0.8× direct", connect_ratio(data, "pc_auth"), 0.8, True),
        ("<= 4 KiB per idle connection at 10 000", med(data, "pc_auth", "mem10k"), 4.0, False),
        ("10 000 idle connections held", med(data, "pc_auth", "held10k"), 10000, True),
        ("legitimate req/s during the flood >= 90 % of quiet", flood_ratio, 0.9, True),
    ]
    for what, value, bound, at_least in checks:
        if value is None:
            verdict = "not measured"
        elif (value >= bound) if at_least else (value <= bound):
            verdict = "met"
        else:
            verdict = "NOT met"
        shown = "n/a" if value is None else ("%.2f" % value)
        print("  %-52s %8s  %s" % (what, shown, verdict))


if __name__ == "__main__":
    main()
