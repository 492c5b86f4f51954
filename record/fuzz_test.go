package record

import (
	"testing"
	"time"

	"github.com/shmcast/shmcast/internal/testclip"
)

// FuzzWriteFrame feeds the recorder real frames damaged as the input says:
// cut short, with flipped Key and Discontinuity flags, and timestamps going
// backwards. It must never panic, never return an error before Close, and
// account for every frame: recorded or skipped.
func FuzzWriteFrame(f *testing.F) {
	clip := testclip.MustFrames(testclip.Slices)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 2, 4, 8, 16, 32, 64, 128, 255})
	f.Add([]byte{0, 0x14, 0, 0, 0x24, 0, 0x40})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 200 {
			ops = ops[:200]
		}
		r, err := New(Options{Dir: t.TempDir(), FragmentDuration: 100 * time.Millisecond,
			SegmentDuration: 300 * time.Millisecond, RetryMin: time.Nanosecond, Sync: SyncNone})
		if err != nil {
			t.Fatal(err)
		}
		dts := time.Duration(0)
		for i, op := range ops {
			fr := clip[i%len(clip)]
			fr.Seq = uint64(i + 1)
			if op&1 != 0 {
				fr.Key = !fr.Key
			}
			fr.Discontinuity = op&2 != 0
			if op&4 != 0 {
				fr.Data = fr.Data[:int(op)*len(fr.Data)/256]
			}
			switch {
			case op&8 != 0:
				dts -= time.Duration(op) * time.Millisecond
			case op&16 != 0:
				fr.Data = append([]byte{0, 0, 0, 1, op, op}, fr.Data...)
			default:
				dts += time.Second / 30
			}
			fr.DTS, fr.PTS = dts, dts+time.Duration(op&0x60)*time.Millisecond
			if err := r.WriteFrame(fr); err != nil {
				t.Fatalf("WriteFrame = %v", err)
			}
			if i%7 == 3 && op&32 != 0 {
				r.Stop()
				r.Start()
			}
		}
		r.Close()
		st := r.Stats()
		if st.Frames+st.Skipped != uint64(len(ops)) {
			t.Fatalf("Stats = %+v after %d frames", st, len(ops))
		}
	})
}
