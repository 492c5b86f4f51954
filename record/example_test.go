package record_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/internal/testclip"
	"github.com/shmcast/shmcast/record"
)

// Example records the 10 s test clip into one fragmented MP4 file.
func Example() {
	dir, _ := os.MkdirTemp("", "rec")
	defer os.RemoveAll(dir)

	rec, err := record.New(record.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	src := testclip.Source(testclip.MustFrames(testclip.Baseline))
	if err := shmcast.Copy(context.Background(), rec, src); err != nil {
		log.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		log.Fatal(err)
	}

	st := rec.Stats()
	files, _ := filepath.Glob(filepath.Join(dir, "*.mp4"))
	fmt.Printf("%d file, %d frames, %dx%d\n", len(files), st.Frames, st.Width, st.Height)
	// Output: 1 file, 300 frames, 640x360
}
