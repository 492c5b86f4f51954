#!/bin/sh
# gen.sh regenerates the checked-in test clips. Run it from anywhere:
#
#	sh internal/testclip/gen.sh
#
# The clips are raw H.264 Annex B byte streams as `ffmpeg -f h264` writes
# them (SPS and PPS in front of every IDR; do NOT add repeat-headers=0, the
# file would then carry them only once). Every clip is 30 fps with a GOP of
# 30 frames and no B-frames, so decode order is presentation order.
set -eu
cd "$(dirname "$0")"

common="-hide_banner -loglevel error -y -threads 1"

# baseline.h264: 640x360, 10 s, Constrained Baseline.
ffmpeg $common -f lavfi -i testsrc2=size=640x360:rate=30 -t 10 \
	-c:v libx264 -profile:v baseline -pix_fmt yuv420p -g 30 -bf 0 -b:v 400k \
	-f h264 baseline.h264

# high.h264: 1280x720, 3 s, High profile; x264 writes its user-data SEI.
ffmpeg $common -f lavfi -i testsrc2=size=1280x720:rate=30 -t 3 \
	-c:v libx264 -profile:v high -pix_fmt yuv420p -g 30 -bf 0 -b:v 500k \
	-f h264 high.h264

# aud.h264: 640x360, 3 s, an access unit delimiter in front of every frame.
ffmpeg $common -f lavfi -i testsrc2=size=640x360:rate=30 -t 3 \
	-c:v libx264 -profile:v main -pix_fmt yuv420p -g 30 -bf 0 -b:v 300k \
	-x264-params aud=1 -f h264 aud.h264

# slices.h264: 640x360, 1 s, four slices per picture (first_mb_in_slice > 0).
ffmpeg $common -f lavfi -i testsrc2=size=640x360:rate=30 -t 1 \
	-c:v libx264 -profile:v main -pix_fmt yuv420p -g 30 -bf 0 -b:v 300k \
	-x264-params slices=4 -f h264 slices.h264
