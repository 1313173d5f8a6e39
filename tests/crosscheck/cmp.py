#!/usr/bin/python3
# Compare track.c output with ref.py output (tests/crosscheck/run.sh).
import sys, collections
mine={int(l.split('\t')[0]):l.split('\t') for l in open(sys.argv[1])}
ref={int(l.split('\t')[0]):l.rstrip('\n').split('\t') for l in open(sys.argv[2])}
stats=collections.Counter(); ex=collections.defaultdict(list)
for fn,r in ref.items():
    m=mine.get(fn)
    if not m: stats['missing']+=1; continue
    ln=int(r[1])
    kind=int(m[2]); myrt = 'R' if kind==2 else ('K' if kind==3 else ('Z' if kind==4 else ''))
    ws=r[4]; wsrt = ws if ws in 'RKZ' else ''  # out-of-order 'O' counted as not retrans
    stats['pkts']+=1
    if myrt!=wsrt:
        stats['rt_diff']+=1; ex['rt'].append((fn,myrt,ws))
    if ln==0: continue
    stats['payload']+=1
    if int(m[3])!=int(r[2]): stats['ct_diff']+=1; ex['ct'].append((fn,m[3],r[2],m[2],m[7]))
    if int(m[4])!=int(r[3]): stats['nh_diff']+=1; ex['nh'].append((fn,m[4],r[3],m[2]))
print(dict(stats))
for k,v in ex.items(): print(k, v[:15])
