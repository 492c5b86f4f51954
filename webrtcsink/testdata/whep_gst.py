#!/usr/bin/python3
"""A WHEP viewer on GStreamer's webrtcbin (its own ICE stack, libnice).

Usage: whep_gst.py URL SECONDS. Prints "frames=N" (frames decoded by
avdec_h264) after SECONDS, then DELETEs the session. DESIGN.md §8: libnice
skips loopback unless told (add-local-ip-address); reading the ice-agent
property drops a reference (we take one back); keep promise replies alive.
"""
import ctypes
import sys
import threading
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

Gst.init(None)
url, seconds = sys.argv[1], float(sys.argv[2])
loop = GLib.MainLoop()
pipe = Gst.Pipeline.new("p")
webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
pipe.add(webrtc)

agent = webrtc.get_property("ice-agent")
gobject = ctypes.CDLL("libgobject-2.0.so.0")
gobject.g_object_ref.argtypes = [ctypes.c_void_p]
ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p
ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
gobject.g_object_ref(ctypes.pythonapi.PyCapsule_GetPointer(agent.__gpointer__, None))
agent.emit("add-local-ip-address", "127.0.0.1")

caps = Gst.Caps.from_string(
    "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
    "packetization-mode=(string)1,profile-level-id=(string)42e01f")
webrtc.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY, caps)

frames = 0
location = None
state = {}


def on_handoff(*_):
    global frames
    frames += 1


def on_pad_added(_, pad):
    if pad.direction != Gst.PadDirection.SRC:
        return
    bin_ = Gst.parse_bin_from_description(
        "rtph264depay ! h264parse ! avdec_h264 ! fakesink name=sink signal-handoffs=true sync=false", True)
    pipe.add(bin_)
    bin_.get_by_name("sink").connect("handoff", on_handoff)
    bin_.sync_state_with_parent()
    pad.link(bin_.get_static_pad("sink"))


def post_offer():
    global location
    sdp = webrtc.get_property("local-description").sdp.as_text()
    req = urllib.request.Request(url, data=sdp.encode(), method="POST",
                                 headers={"Content-Type": "application/sdp"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        location = resp.headers["Location"]
        answer = resp.read().decode()
    ok, msg = GstSdp.SDPMessage.new_from_text(answer)
    desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
    GLib.idle_add(lambda: webrtc.emit("set-remote-description", desc, None) and False)


def on_gathering(*_):
    if webrtc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE \
            and not state.get("posted"):
        state["posted"] = True
        threading.Thread(target=post_offer, daemon=True).start()


def on_offer(promise, _):
    promise.wait()
    reply = promise.get_reply()  # keep the reply alive while reading it
    offer = reply.get_value("offer")
    state["offer"] = offer
    webrtc.emit("set-local-description", offer, None)


def on_negotiation_needed(_):
    promise = Gst.Promise.new_with_change_func(on_offer, None)
    state["promise"] = promise
    webrtc.emit("create-offer", None, promise)


webrtc.connect("on-negotiation-needed", on_negotiation_needed)
webrtc.connect("notify::ice-gathering-state", on_gathering)
webrtc.connect("pad-added", on_pad_added)
pipe.set_state(Gst.State.PLAYING)
GLib.timeout_add(int(seconds * 1000), loop.quit)
loop.run()
print(f"frames={frames}", flush=True)
if location:
    base = url.split("/whep")[0]
    try:
        urllib.request.urlopen(urllib.request.Request(base + location, method="DELETE"), timeout=5).close()
    except Exception as e:  # noqa: BLE001
        print(f"delete: {e}", flush=True)
pipe.set_state(Gst.State.NULL)
