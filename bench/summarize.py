#!/usr/bin/env python3
"""Summary tables and ratios from the RESULT lines bench/run.sh collected (stdlib only).

Usage: summarize.py RAW_FILE
A RESULT line is "RESULT <label> key=value key=value ...".
"""
import sys


def load(path):
    res = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2 or parts[0] != "RESULT":
                continue
            d = {}
            for kv in parts[2:]:
                k, _, v = kv.partition("=")
                d[k] = v
            res[parts[1]] = d
    return res


def num(d, k):
    try:
        return float(d.get(k, "nan").split("/")[0])
    except (ValueError, AttributeError):
        return float("nan")


def fmt(v, digits=1):
    if v != v:  # NaN
        return "-"
    return f"{v:,.{digits}f}"


def ratio(a, b):
    if a != a or b != b or b == 0:
        return "-"
    return f"{a / b:.2f}x"


def pct(a, b):
    if a != a or b != b or b == 0:
        return "-"
    return f"{100 * a / b:.2f}%"


def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    out = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    return "\n".join(out)


def target(label, ok, detail):
    if ok is None:
        return f"  [ n/a ] {label}: {detail}"
    return f"  [{'MET ' if ok else 'MISS'}] {label}: {detail}"


def main():
    r = load(sys.argv[1])
    g = lambda label: r.get(label, {})  # noqa: E731
    targets = []
    print("\n==================== SUMMARY ====================")

    # --- internal CA ---
    speed = num(g("openssl_speed_ecdsap256"), "sign_per_s")
    if speed == speed or "ca_inproc_sign" in r:
        print("\n## Internal CA, one core (issue 3)\n")
        rows = [["openssl speed ecdsap256 (raw P-256 sign, the ceiling)", fmt(speed), "-", "-",
                 fmt(1000 / speed, 3) if speed == speed and speed > 0 else "-", "100%"]]
        rows_def = [("ca_inproc_build", "ceiling: leaf encoded + signed only (LeafSigner; nothing checked or stored), 1 thread"),
                    ("ca_inproc_build_1core_t32", "ceiling: leaf encoded + signed only, one core, 32 threads"),
                    ("ca_inproc_key", "certkeeper in-process IssueForPublicKey (build+sign+persist), 1 thread"),
                    ("ca_inproc_sign", "certkeeper in-process SignCsrDer (+ CSR parse and verify), 1 thread"),
                    ("ca_inproc_issue", "certkeeper in-process IssueWithKey (+ keygen), 1 thread")]
        rows_def += [("ca_inproc_key_1core_t32",
                      "certkeeper in-process IssueForPublicKey, one core, 32 threads (group commit)"),
                     ("ca_inproc_sign_1core_t32",
                      "certkeeper in-process SignCsrDer, one core, 32 threads (group commit)"),
                     ("ca_inproc_issue_1core_t32",
                      "certkeeper in-process IssueWithKey, one core, 32 threads (group commit)")]
        rows_def += [(k, f"certkeeper in-process SignCsr, {k.rsplit('_t', 1)[1]} threads")
                     for k in sorted(r) if k.startswith("ca_inproc_sign_t")]
        for label, what in rows_def:
            d = g(label)
            if d:
                rows.append([what, fmt(num(d, "per_s")), fmt(num(d, "p50_ms"), 3),
                             fmt(num(d, "p99_ms"), 3), fmt(num(d, "cpu_ms_per_cert"), 3),
                             pct(num(d, "per_s"), speed)])
        print(table(["what", "certs/s", "p50 ms", "p99 ms", "CPU ms/cert", "of openssl speed"], rows))
        cpu = num(g("ca_inproc_key_1core_t32"), "cpu_ms_per_cert")
        if cpu == cpu and cpu > 0 and speed == speed:
            print(f"\nbuild+sign+persist costs {1000 * cpu:.0f} us of CPU per certificate on one core, "
                  f"of which the signature is {1e6 / speed:.0f} us (openssl speed); 60% of the raw "
                  f"sign rate would leave {1e6 / (0.6 * speed) - 1e6 / speed:.0f} us for everything else.")
        build = num(g("ca_inproc_build_1core_t32"), "cpu_ms_per_cert")
        if build == build and cpu == cpu and cpu > build:
            print(f"the leaf's encoding and signature alone cost {1000 * build:.0f} us per certificate "
                  f"on that core (ca_inproc_build); the profile and name checks, the record, its event "
                  f"and their durable commit cost the other {1000 * (cpu - build):.0f} us.")
        for label, what in [("ca_inproc_key_1core_t32", "build+sign+persist (IssueForPublicKey)"),
                            ("ca_inproc_sign_1core_t32", "SignCsrDer (CSR parsed and verified)"),
                            ("ca_inproc_issue_1core_t32", "IssueWithKey (key generated)")]:
            s = num(g(label), "per_s")
            if s == s and speed == speed:
                targets.append(target(f"in-process issue >= 60% of raw sign rate, one core: {what}",
                                      s >= 0.6 * speed,
                                      f"{s:,.0f}/s = {100 * s / speed:.1f}% of {speed:,.0f}/s"))

    # --- admin API vs cfssl ---
    # certkeeper's main figures are over mTLS (admin client certificate from its internal CA);
    # ck_api_sign_token_cN is the same signing with a bearer token. RESULT lines from before
    # api_load printed auth= were all token runs.
    auth_names = {"mtls": "mTLS", "token": "bearer token", "none": "none"}
    auth = lambda d: auth_names.get(d.get("auth", "token"), d.get("auth")) if d else "-"  # noqa: E731
    levels = sorted({int(k.rsplit("_c", 1)[1]) for k in r if k.startswith(("ck_api_sign_c", "cfssl_sign_c"))})
    token_levels = sorted(int(k.rsplit("_c", 1)[1]) for k in r if k.startswith("ck_api_sign_token_c"))
    if levels:
        main_auth = auth(g(f"ck_api_sign_c{levels[-1]}"))
        print(f"\n## Signing over the network: certkeeper admin API (HTTPS, {main_auth}) vs cfssl serve "
              "(HTTP), same CSRs, closed loop, keep-alive (issue 3)\n")
        if main_auth == "mTLS":
            print("certkeeper rows: authenticated by an admin client certificate from its internal CA "
                  "(spiffe://<trust-domain>/certkeeper/admin/bench) unless the row says token; "
                  "cfssl: plain HTTP, no authentication.\n")
        rows = []

        def api_row(what, ck, cf, iss):
            return [what, auth(ck), fmt(num(ck, "per_s")), fmt(num(cf, "per_s")),
                    ratio(num(ck, "per_s"), num(cf, "per_s")),
                    f"{fmt(num(ck, 'p50_ms'), 2)} / {fmt(num(ck, 'p99_ms'), 2)}",
                    f"{fmt(num(cf, 'p50_ms'), 2)} / {fmt(num(cf, 'p99_ms'), 2)}",
                    f"{fmt(num(ck, 'server_cpu_ms_per_req'), 2)} / {fmt(num(cf, 'server_cpu_ms_per_req'), 2)}",
                    f"{ck.get('new_connections', '-')} / {cf.get('new_connections', '-')}",
                    fmt(num(iss, "per_s"))]

        for c in levels:
            ck, cf, iss = g(f"ck_api_sign_c{c}"), g(f"cfssl_sign_c{c}"), g(f"ck_api_issue_c{c}")
            rows.append(api_row(c, ck, cf, iss))
            if ck and cf:
                a, b = num(ck, "per_s"), num(cf, "per_s")
                targets.append(target(f"API ({auth(ck)}) >= 3x cfssl at {c} client(s)", a >= 3 * b,
                                      f"{a:,.0f}/s vs {b:,.0f}/s = {ratio(a, b)}"))
        for c in token_levels:
            rows.append(api_row(f"{c} (token run)", g(f"ck_api_sign_token_c{c}"), g(f"cfssl_sign_c{c}"), {}))
        print(table(["clients", "ck auth", "certkeeper sign/s", "cfssl sign/s", "ck/cfssl",
                     "ck p50/p99 ms", "cfssl p50/p99 ms", "server CPU ms/req ck/cfssl",
                     "reconnects ck/cfssl", "certkeeper issue/s (server key)"], rows))
        for c in token_levels:
            m, t = g(f"ck_api_sign_c{c}"), g(f"ck_api_sign_token_c{c}")
            if m and t:
                print(f"\nsign at {c} clients: {auth(m)} {fmt(num(m, 'per_s'))}/s, bearer token "
                      f"{fmt(num(t, 'per_s'))}/s ({auth(m)}/token = {ratio(num(m, 'per_s'), num(t, 'per_s'))}); "
                      f"server CPU {fmt(num(m, 'server_cpu_ms_per_req'), 2)} vs "
                      f"{fmt(num(t, 'server_cpu_ms_per_req'), 2)} ms/req.")
        mx = max((num(g(f"ck_api_sign_c{c}"), "per_s") for c in levels), default=float("nan"))
        if mx == mx and speed == speed:
            print(f"\nbest certkeeper API rate = {pct(mx, speed)} of openssl speed; certkeeper is HTTPS "
                  f"(TLS 1.2+, {main_auth}, every request logged), "
                  "cfssl plain HTTP (loglevel 2).")

    # --- floors under the API target: what no implementation on this machine can go below ---
    fs = num(g("disk_fdatasync_overwrite"), "p50_us")
    fs_append = num(g("disk_fdatasync_append"), "p50_us")
    verify = num(g("openssl_speed_ecdsap256"), "verify_per_s")
    cpus = num(g("machine"), "cpus")
    if levels and fs == fs:
        print("\n## Floors under the API target (issue 3: >= 3x cfssl, durable)\n")
        print(f"disk under the state directory: 1 KiB write + fdatasync p50 {fs:.0f} us into allocated "
              f"blocks, {fmt(fs_append, 0)} us appending (fsync_probe); every answer waits for one.")
        if verify == verify and speed == speed:
            crypto = 1e6 / verify + 1e6 / speed
            print(f"one CSR signature verified + one certificate signed: {crypto:.0f} us of CPU "
                  f"(openssl speed: verify {1e6 / verify:.0f} us, sign {1e6 / speed:.0f} us).")
        for c in levels:
            cf = num(g(f"cfssl_sign_c{c}"), "per_s")
            if cf != cf or cf <= 0:
                continue
            need = 3 * cf
            line = f"- {c} client(s): 3x cfssl = {need:,.0f}/s"
            if c == 1:
                budget = 1e6 / need
                line += (f" = one round trip every {budget:.0f} us; the fdatasync alone takes {fs:.0f} us")
                if verify == verify and speed == speed:
                    line += f", verify + sign + fdatasync {crypto + fs:.0f} us"
                line += ": out of reach while the answer waits for its record" if fs >= budget or (
                    verify == verify and crypto + fs >= budget) else ""
            elif cpus == cpus and cpus > 0:
                per_req = cpus * 1e6 / need
                line += (f" = {per_req:.0f} us of CPU per request on {cpus:.0f} cores, for the load "
                         f"generator and the server together")
                if verify == verify and speed == speed:
                    line += f"; verify + sign alone take {crypto:.0f} us of it"
            print(line + ".")

    # --- ACME ---
    acme = [("ck_cli_seq", "certkeeper acme issue, 1 process per cert", "1"),
            ("lego_seq", "lego run, 1 process per cert (standalone)", "1"),
            ("certbot_seq", "certbot certonly, 1 process per cert (standalone)", "1"),
            ("ck_inproc_t10", "certkeeper, 1 process, 10 orders in flight", "10"),
            ("lego_par10", "lego, 10 processes at once (webroot)", "10")]
    for label in sorted((k for k in r if k.startswith("ck_inproc_t") and k != "ck_inproc_t10"),
                        key=lambda k: int(k.rsplit("_t", 1)[1])):
        t = label.rsplit("_t", 1)[1]
        acme.append((label, f"certkeeper, 1 process, {t} orders in flight", t))
    if any(label in r for label, _, _ in acme):
        print("\n## ACME against Pebble (NOSLEEP=1, 5% badNonce, real http-01) (issue 4)\n")
        rows = []
        for label, what, conc in acme:
            d = g(label)
            if not d:
                continue
            p50 = d.get("p50_s")
            verified = num(d, "verified")
            rows.append([what, conc, f"{verified:.0f}/{d.get('n', '?')}" if verified == verified else "-",
                         fmt(num(d, "certs_per_s"), 3),
                         fmt(float(p50), 2) if p50 else fmt(num(d, "sum_wall_s") / max(num(d, "procs"), 1), 2),
                         fmt(num(d, "cpu_ms_per_cert"), 2), fmt(num(d, "peak_rss_mib"), 1),
                         fmt(num(d, "pebble_cpu_ms_per_cert"), 1)])
        print(table(["run", "in flight", "verified", "certs/s", "s per cert (p50 / mean)",
                     "client CPU ms/cert", "peak RSS MiB", "pebble CPU ms/cert"], rows))
        print()
        pairs = [("ck_cli_seq", "lego_seq", "one at a time: certkeeper CLI vs lego"),
                 ("ck_cli_seq", "certbot_seq", "one at a time: certkeeper CLI vs certbot"),
                 ("ck_inproc_t10", "lego_par10", "10 at once: certkeeper 1 process vs lego 10 processes"),
                 ] + [(k, "lego_par10", f"certkeeper {k.rsplit('_t', 1)[1]} in flight vs lego 10 processes")
                      for k, _, _ in acme if k.startswith("ck_inproc_t") and k != "ck_inproc_t10"]
        for a, b, what in pairs:
            if a in r and b in r:
                x, y = num(g(a), "certs_per_s"), num(g(b), "certs_per_s")
                cx, cy = num(g(a), "cpu_ms_per_cert"), num(g(b), "cpu_ms_per_cert")
                print(f"  {what}: throughput {ratio(x, y)}; the peer spends {ratio(cy, cx)} the client CPU per cert")
                if b.startswith("lego") and a in ("ck_cli_seq", "ck_inproc_t10"):
                    targets.append(target(f">= 5x lego ({what})", x >= 5 * y,
                                          f"{x:.3f} vs {y:.3f} certs/s = {ratio(x, y)}"))
        for a in [k for k, _, _ in acme if k.startswith("ck_inproc")]:
            if a in r:
                c = num(g(a), "cpu_ms_per_cert")
                targets.append(target(f"client CPU <= 4 ms/cert ({a})", c <= 4, f"{c:.2f} ms"))

    # --- inventory at scale ---
    sizes = sorted({int(k.rsplit("_", 1)[1]) for k in r if k.startswith("inventory_seed_")})
    if sizes:
        print("\n## Inventory at scale: store, list API, /metrics (issue 6)\n")
        rows = []
        for n in sizes:
            seed, due, lst, met = (g(f"inventory_{w}_{n}") for w in ("seed", "due", "list", "metrics"))
            rows.append([f"{n:,}", fmt(num(seed, "seed_s")),
                         f"{fmt(num(seed, 'db_mib'), 0)} / {fmt(num(seed, 'disk_mib'), 0)}",
                         f"{fmt(num(due, 'p50_ms'), 2)} / {fmt(num(due, 'p99_ms'), 2)} ({due.get('rows', '-')} rows)",
                         f"{fmt(num(lst, 'p50_ms'), 2)} / {fmt(num(lst, 'p99_ms'), 2)}",
                         f"{fmt(num(met, 'render_p50_ms'))} ({fmt(num(met, 'bytes') / 1048576, 1)} MiB, "
                         f"{met.get('certificates_exposed', '-')} certs)"])
            if n >= 1000000:
                d99 = num(due, "p99_ms")
                targets.append(target("due scan < 50 ms at 1M", d99 < 50 if d99 == d99 else None, f"p99 {fmt(d99, 2)} ms"))
            l99 = num(lst, "p99_ms")
            targets.append(target(f"list API p99 < 20 ms at {n:,}", l99 < 20 if l99 == l99 else None,
                                  f"{fmt(l99, 2)} ms"))
        print(table(["certificates", "seed s", "db / with WAL MiB", "due scan p50 / p99 ms", "list page p50 / p99 ms",
                     "/metrics render ms"], rows))
    # --- dashboard ---
    if "dashboard_load" in r or "dashboard_list_api" in r:
        d, a = g("dashboard_load"), g("dashboard_list_api")
        print(f"\n## Dashboard in headless Chromium, {d.get('n', a.get('n', '?'))} certificates (issue 6)\n")
        print(table(["what", "p50 ms", "max ms"], [
            ["first inventory page rendered", fmt(num(d, "table_p50_ms"), 0), "-"],
            ["90-day timeline rendered", fmt(num(d, "timeline_p50_ms"), 0), "-"],
            ["usable (both)", fmt(num(d, "usable_p50_ms"), 0), fmt(num(d, "usable_max_ms"), 0)],
            ["next page (cursor) rendered", fmt(num(g("dashboard_paging"), "next_page_p50_ms"), 0),
             fmt(num(g("dashboard_paging"), "next_page_max_ms"), 0)],
            ["GET /v1/certificates, first page of 100", fmt(num(a, "first_page_p50_ms"), 1),
             fmt(num(a, "first_page_max_ms"), 1)],
            ["GET /v1/certificates, page 22 (cursor)", fmt(num(a, "deep_page_p50_ms"), 1),
             fmt(num(a, "deep_page_max_ms"), 1)],
            ["GET /v1/certificates?q= (search)", fmt(num(a, "search_p50_ms"), 1),
             fmt(num(a, "search_max_ms"), 1)]]))
        if d:
            u = num(d, "usable_p50_ms")
            targets.append(target("dashboard usable < 1 s at 10,000 (median load)", u < 1000, f"{u:.0f} ms"))

    if targets:
        print("\n## Targets from the issues\n")
        print("\n".join(targets))


if __name__ == "__main__":
    main()
