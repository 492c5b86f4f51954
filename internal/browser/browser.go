// Package browser drives a real headless Chromium for tests through
// ChromeDriver's W3C WebDriver HTTP API: open a page, evaluate JavaScript,
// read the result. It needs no dependency beyond the Debian packages
// chromium and chromium-driver.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// Flags are the Chromium flags that make WebRTC work headless, as root, on
// loopback only (DESIGN.md §8): the last two are both needed for loopback
// ICE candidates.
var Flags = []string{
	"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required",
	"--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
}

// ErrNotInstalled is returned by Start when chromium or chromedriver is missing.
var ErrNotInstalled = errors.New("browser: chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")

// A Browser is one Chromium session driven by its own chromedriver.
type Browser struct {
	driver  *exec.Cmd
	base    string // chromedriver URL
	session string
	dataDir string
}

// Start starts chromedriver on a free loopback port and opens a Chromium
// session with [Flags] and a fresh profile directory.
func Start(ctx context.Context) (*Browser, error) {
	chromium, err1 := exec.LookPath("chromium")
	driver, err2 := exec.LookPath("chromedriver")
	if err1 != nil || err2 != nil {
		return nil, ErrNotInstalled
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "shmcast-chromium-")
	if err != nil {
		return nil, err
	}
	b := &Browser{base: "http://127.0.0.1:" + strconv.Itoa(port), dataDir: dataDir}
	b.driver = exec.Command(driver, "--port="+strconv.Itoa(port), "--allowed-ips=127.0.0.1")
	if err := b.driver.Start(); err != nil {
		os.RemoveAll(dataDir)
		return nil, fmt.Errorf("browser: chromedriver: %w", err)
	}
	if err := b.waitReady(ctx); err != nil {
		b.Close()
		return nil, err
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromium,
			"args":   append(append([]string{}, Flags...), "--user-data-dir="+dataDir),
		},
	}}}
	var created struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, http.MethodPost, "/session", caps, &created); err != nil {
		b.Close()
		return nil, fmt.Errorf("browser: new session: %w", err)
	}
	b.session = created.SessionID
	return b, nil
}

// Open navigates to url and returns when the page has loaded.
func (b *Browser) Open(ctx context.Context, url string) error {
	return b.call(ctx, http.MethodPost, "/session/"+b.session+"/url", map[string]string{"url": url}, nil)
}

// Eval runs script (a function body: use return) in the page and decodes
// its result into out, which may be nil.
func (b *Browser) Eval(ctx context.Context, script string, out any) error {
	body := map[string]any{"script": script, "args": []any{}}
	return b.call(ctx, http.MethodPost, "/session/"+b.session+"/execute/sync", body, out)
}

// Screenshot returns a PNG of the page as shown now.
func (b *Browser) Screenshot(ctx context.Context) ([]byte, error) {
	var png []byte // WebDriver sends base64, which encoding/json decodes into []byte
	err := b.call(ctx, http.MethodGet, "/session/"+b.session+"/screenshot", nil, &png)
	return png, err
}

// Close ends the session, chromedriver and Chromium, and removes the profile.
func (b *Browser) Close() {
	if b.session != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b.call(ctx, http.MethodDelete, "/session/"+b.session, nil, nil)
		cancel()
	}
	if b.driver.Process != nil {
		b.driver.Process.Kill()
		b.driver.Wait()
	}
	os.RemoveAll(b.dataDir)
}

func (b *Browser) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		var st struct {
			Ready bool `json:"ready"`
		}
		if err := b.call(ctx, http.MethodGet, "/status", nil, &st); err == nil && st.Ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("browser: chromedriver not ready: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// call makes one WebDriver request and decodes the "value" of its answer.
func (b *Browser) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		buf, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var reply struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 16<<20)).Decode(&reply); err != nil {
		return fmt.Errorf("%s %s: %s: %w", method, path, res.Status, err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %.500s", method, path, res.Status, reply.Value)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(reply.Value, out)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
