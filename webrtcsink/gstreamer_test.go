package webrtcsink_test

import (
	"context"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/shmcast/shmcast/webrtcsink"
)

// TestGStreamer plays the stream in GStreamer's webrtcbin (libnice ICE,
// avdec_h264) over WHEP and checks that it decodes about as many frames as
// the Sink sent it.
func TestGStreamer(t *testing.T) {
	const python = "/usr/bin/python3"
	check := exec.Command(python, "-c", `import gi; gi.require_version("GstWebRTC", "1.0"); from gi.repository import Gst; Gst.init(None); assert Gst.ElementFactory.find("webrtcbin") and Gst.ElementFactory.find("avdec_h264") and Gst.ElementFactory.find("nicesrc")`)
	if out, err := check.CombinedOutput(); err != nil {
		t.Skipf("SKIP: GStreamer webrtcbin/avdec_h264/libnice or python3-gi missing (apt install gstreamer1.0-plugins-bad gstreamer1.0-nice gstreamer1.0-libav python3-gi gir1.2-gst-plugins-bad-1.0): the GStreamer test did NOT run: %v %s", err, out)
	}
	sink, url := playing(t, func(sink *webrtcsink.Sink) http.Handler { return sink })

	run, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	out, err := exec.CommandContext(run, python, "testdata/whep_gst.py", url+"/whep", "6").CombinedOutput()
	t.Logf("whep_gst.py:\n%s", out)
	if err != nil {
		t.Fatalf("whep_gst.py: %v", err)
	}
	m := regexp.MustCompile(`frames=(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatal("no frames= line")
	}
	decoded, _ := strconv.Atoi(string(m[1]))
	st := sink.Stats()
	sent := st.Total.Frames
	t.Logf("decoded %d, sent %d, sink %+v", decoded, sent, st.Total)
	if decoded == 0 || float64(decoded) < 0.9*float64(sent)-3 {
		t.Errorf("GStreamer decoded %d frames, the Sink sent %d: want > 0 and close", decoded, sent)
	}
	if len(st.Viewers) != 0 {
		t.Errorf("the session was not deleted: %+v", st.Viewers)
	}
}
