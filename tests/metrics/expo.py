#!/usr/bin/env python3
# Read Prometheus text expositions for tests/integration/63-metrics.t and
# 64-health.t (no client library: the format is small and the test
# checks it line by line).
#   expo.py value FILE NAME [LABEL=VALUE...]   the sum of NAME's samples
#                 whose labels match (prints 0 when none)
#   expo.py count FILE NAME                    how many samples NAME has
#   expo.py labels FILE NAME LABEL             the distinct values of LABEL
#   expo.py monotonic BEFORE AFTER             every counter sample of
#                 BEFORE (_total, _bucket, _sum, _count) is in AFTER with a
#                 value not smaller; exit 1 listing the ones that went down
import re
import sys

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def read(path):
    out = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            m = LINE.match(line)
            if not m:
                sys.exit(f'{path}: bad line: {line!r}')
            labels = dict(LABEL.findall(m.group(3) or ''))
            out.append((m.group(1), labels, float(m.group(4)), line))
    return out


def key(name, labels):
    return name + '{' + ','.join(f'{k}={v}' for k, v in sorted(labels.items())) + '}'


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    samples = read(path)
    if cmd == 'value':
        want = dict(a.split('=', 1) for a in sys.argv[4:])
        total = sum(v for n, l, v, _ in samples if n == sys.argv[3] and
                    all(l.get(k) == w for k, w in want.items()))
        print(int(total) if total == int(total) else total)
    elif cmd == 'count':
        print(sum(1 for n, *_ in samples if n == sys.argv[3]))
    elif cmd == 'labels':
        for v in sorted({l.get(sys.argv[4], '') for n, l, *_ in samples
                         if n == sys.argv[3]}):
            print(v)
    elif cmd == 'monotonic':
        after = {key(n, l): v for n, l, v, _ in read(sys.argv[3])}
        bad = []
        for n, l, v, line in samples:
            if not re.search(r'_(total|bucket|sum|count)$', n):
                continue
            k = key(n, l)
            if k not in after or after[k] < v:
                bad.append(f'{line} -> {after.get(k, "missing")}')
        if bad:
            print('\n'.join(bad))
            sys.exit(1)
        print(f'{len(samples)} samples, none went down')
    else:
        sys.exit(f'unknown command {cmd}')


main()
