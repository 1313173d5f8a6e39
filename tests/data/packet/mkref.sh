#!/bin/bash
# Makes the per-frame header reference that test-packet compares the parser
# with: Wireshark's reading of every frame of one real capture. Rerun only
# if the capture or the field list changes:
#   tests/data/packet/mkref.sh [DATA_DIR] > \
#       tests/data/packet/what_is_the_weather.fields.tsv
# Columns (tab-separated, empty when the field is absent; first occurrence):
set -euo pipefail
data=${1:-$(dirname "$0")/..}   # tests/data, or ../shared/data
tshark -r "$data/vcf/pcap/what_is_the_weather_5_60_80_100_120_140_capture.pcap" \
	-T fields -E occurrence=f \
	-e frame.number -e ip.len -e ip.hdr_len -e ip.ttl -e ip.proto \
	-e tcp.srcport -e tcp.dstport -e tcp.len -e tcp.hdr_len -e tcp.flags \
	-e tcp.seq_raw -e tcp.ack_raw -e tcp.window_size_value \
	-e tcp.options.mss_val -e tcp.options.wscale.shift \
	-e tcp.options.sack.count -e tcp.options.sack_perm \
	-e tcp.options.timestamp.tsval -e tcp.options.timestamp.tsecr \
	-e udp.srcport -e udp.dstport -e udp.length 2>/dev/null
