#!/usr/bin/python3
# Independent reference for tests/crosscheck/run.sh: reassembles every TCP
# direction from tshark's tcp.payload (bytes that arrive later by
# retransmission included), walks the TLS records of the reassembled stream,
# and prints per frame: frame, tcp.len, content type of the record holding
# the first payload byte, headers starting in the segment, and tshark's
# flag (R retransmission incl. fast/spurious, K keep-alive, Z zero-window
# probe, O out-of-order).
# independent reference: full TCP reassembly per direction from tshark fields, then a record walk
import subprocess, sys, collections
f = sys.argv[1]
out = subprocess.run(['tshark','-r',f,'-Y','tcp','-T','fields','-E','separator=\t',
  '-e','frame.number','-e','ip.src','-e','ipv6.src','-e','tcp.srcport','-e','ip.dst','-e','ipv6.dst','-e','tcp.dstport',
  '-e','tcp.seq_raw','-e','tcp.len','-e','tcp.flags.syn','-e','tcp.flags.fin','-e','tcp.payload',
  '-e','tcp.analysis.retransmission','-e','tcp.analysis.fast_retransmission','-e','tcp.analysis.spurious_retransmission',
  '-e','tcp.analysis.keep_alive','-e','tcp.analysis.zero_window_probe','-e','tcp.analysis.out_of_order'],
  capture_output=True, text=True).stdout
rows=[]
dirs=collections.defaultdict(list)
for line in out.splitlines():
    c=line.split('\t')
    fn=int(c[0]); src=c[1] or c[2]; dst=c[4] or c[5]
    key=(src,c[3],dst,c[6]); seq=int(c[7]); ln=int(c[8] or 0); syn=c[9]=='1'; fin=c[10]=='1'
    pl=bytes.fromhex(c[11].replace(':','')) if c[11] else b''
    ws = 'R' if c[12] or c[13] or c[14] else ('K' if c[15] else ('Z' if c[16] else ('O' if c[17] else '')))
    rows.append((fn,key,seq,ln,syn,pl,ws))
    dirs[key].append((fn,seq,ln,syn,pl))
recmap={}
for key,segs in dirs.items():
    base=None
    for fn,seq,ln,syn,pl in segs:
        if syn: base=(seq+1)&0xffffffff; break
    if base is None: base=segs[0][1]
    data={}
    for fn,seq,ln,syn,pl in segs:
        off=(seq-base)&0xffffffff
        if off>=0x80000000: continue
        for i,b in enumerate(pl): data.setdefault(off+i,b)
    # walk records over contiguous bytes; on a hole, resync at next segment start that looks like a header
    starts=sorted(set(((seq-base)&0xffffffff) for fn,seq,ln,syn,pl in segs if ln>0))
    recs=[]; pos=0
    end=max(data) + 1 if data else 0
    def plaus(p):
        h=[data.get(p+i) for i in range(5)]
        if None in h: return False
        L=h[3]<<8|h[4]
        return 20<=h[0]<=24 and h[1]==3 and h[2]<=4 and 1<=L<=18432
    while pos<end:
        if plaus(pos):
            L=data[pos+3]<<8|data[pos+4]; recs.append((pos,pos+5+L,data[pos])); pos+=5+L
        else:
            nxt=[s for s in starts if s>pos and plaus(s)]
            if not nxt: break
            pos=nxt[0]
    recmap[key]=(base,recs)
import bisect
for fn,key,seq,ln,syn,pl,ws in rows:
    base,recs=recmap[key]
    off=(seq-base)&0xffffffff
    t=0; nh=0
    if ln>0:
        ss=[r[0] for r in recs]
        i=bisect.bisect_right(ss,off)-1
        if i>=0 and recs[i][0]<=off<recs[i][1]: t=recs[i][2]
        nh=bisect.bisect_left(ss,off+ln)-bisect.bisect_left(ss,off)
    print(f"{fn}\t{ln}\t{t}\t{nh}\t{ws}")
