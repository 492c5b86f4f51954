/*
 * cproducer: a SHMVIDEO producer in C, for the Go reader's tests.
 *
 *   cproducer DIR NAME FRAMES BATCH
 *
 * Creates DIR/NAME with 32 slots, prints "ready", then publishes FRAMES
 * deterministic frames (see cframe in cproducer_test.go) as fast as it can,
 * in batches of BATCH, each after a line on stdin (so that a test reader on
 * a loaded machine is never lapped). Then it prints
 * "done <frames> <keyframe requests>" and closes the segment.
 */
#include "shmvideo.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: cproducer DIR NAME FRAMES BATCH\n");
		return 2;
	}
	uint64_t frames = strtoull(argv[3], NULL, 10);
	uint64_t batch = strtoull(argv[4], NULL, 10);
	struct shmvideo_writer w;
	int err = shmvideo_create(&w, argv[1], argv[2], 32, 1 << 20, 320, 240, 30000, 1001, 0600);
	if (err < 0) {
		fprintf(stderr, "shmvideo_create: %s\n", strerror(-err));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	char line[16];
	static uint8_t buf[1 << 20];
	uint64_t requests = 0;
	for (uint64_t s = 1; s <= frames; s++) {
		if ((s - 1) % batch == 0 && !fgets(line, sizeof line, stdin))
			return 1;
		uint32_t len = 1 + (uint32_t)((s * 7919) % 70000);
		if (s % 50 == 0)
			len = 600000 + (uint32_t)s;
		for (uint32_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(s * 131 + i * 7 + (i >> 8));
		if (shmvideo_keyframe_requested(&w))
			requests++;
		uint32_t flags = (s % 10 == 1 ? SHMVIDEO_SLOT_KEY : 0) | (s == 5 ? SHMVIDEO_SLOT_DISCONTINUITY : 0);
		int64_t pts = (int64_t)s * 3003 + 6006, dts = (int64_t)s * 3003;
		if ((err = shmvideo_publish(&w, buf, len, pts, dts, 0, flags)) < 0) {
			fprintf(stderr, "shmvideo_publish: %s\n", strerror(-err));
			return 1;
		}
	}
	printf("done %llu %llu\n", (unsigned long long)frames, (unsigned long long)requests);
	fflush(stdout);
	shmvideo_close(&w);
	return 0;
}
