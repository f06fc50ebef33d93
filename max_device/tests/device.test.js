"use strict";
// Behaviour of drumtag.js under a fake LiveAPI and Max environment: selection, replies, tag all, drum racks,
// names, server down, error replies, settings.

const test = require("node:test");
const assert = require("node:assert/strict");
const { FakeLive, loadDevice } = require("./fake_max.js");
const names = require("../drumtag_names.js");

const KICK = "/Users/me/Samples/Drums/kick 01.wav";
const SNARE = "/Users/me/Samples/Drums/snare 02.wav";
const HAT = "/Users/me/Samples/Drums/hat 03.wav";
// Colours nobody would hard-code: they prove the device takes the colour from the reply.
const ODD_RED = 0x123456;
const ODD_BLUE = 0x0a0b0c;

function probs(label) {
  return ["kick", label === "kick" ? 0.93 : 0.01, "snare", label === "snare" ? 0.93 : 0.01, "hat", 0.02];
}

function result(device, request, path, label, confidence, color) {
  device.reply("/drumtag/result", request.id, path, label, confidence, color, ...probs(label));
}

function setWithOneClip() {
  const live = new FakeLive();
  const clip = live.audioClip("Kick Take", KICK);
  live.track("Drums", { slots: [clip] });
  return { live, clip };
}

test("selecting an audio clip sends /drumtag/classify with the reply port, an id and the file path", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live).startConnected();
  live.selectClip(clip);
  const sent = device.lastRequest("/drumtag/classify");
  assert.ok(sent, "a classify request was sent");
  assert.equal(sent.replyPort, 9011);
  assert.ok(Number.isInteger(sent.id) && sent.id > 0);
  assert.deepEqual(sent.args, [KICK]);
  assert.deepEqual(live.errors, []);
});

test("a result sets the clip's colour from the reply, and leaves the name alone when naming is off", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live).startConnected();
  live.selectClip(clip);
  result(device, device.lastRequest("/drumtag/classify"), KICK, "kick", 0.93, ODD_RED);
  assert.deepEqual(live.setsOf(clip, "color").map((s) => s.value), [ODD_RED]);
  assert.deepEqual(live.setsOf(clip, "name"), []);
  assert.equal(clip.props.name, "Kick Take");
  assert.match(device.display("last"), /kick 93%/);
});

test("with naming on, the name gets a 'label NN% |' prefix that re-tagging replaces and restore removes", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live).startConnected();
  device.send("naming", 1);
  live.selectClip(clip);
  result(device, device.lastRequest("/drumtag/classify"), KICK, "kick", 0.93, ODD_RED);
  assert.equal(clip.props.name, "kick 93% | Kick Take");

  device.send("tagclip");
  result(device, device.lastRequest("/drumtag/classify"), KICK, "snare", 0.714, ODD_BLUE);
  assert.equal(clip.props.name, "snare 71% | Kick Take", "the old prefix is replaced, not stacked");
  assert.equal(clip.props.color, ODD_BLUE);

  device.send("restore");
  assert.equal(clip.props.name, "Kick Take");
  assert.match(device.display("status"), /restored 1 name/);
});

test("a result below the Unsure setting (60% unless set) gets a muted colour and 'kick? 54%'; 0 marks nothing", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live).startConnected();
  device.send("naming", 1);
  live.selectClip(clip);
  result(device, device.lastRequest("/drumtag/classify"), KICK, "kick", 0.54, ODD_RED);
  assert.equal(clip.props.color, names.unsureColor(ODD_RED));
  assert.notEqual(clip.props.color, ODD_RED);
  assert.equal(clip.props.name, "kick? 54% | Kick Take");
  assert.match(device.display("status"), /unsure \(below 60%\), check it by ear/);
  assert.match(device.display("last"), /^kick\? 54%/);

  device.send("tagclip");
  result(device, device.lastRequest("/drumtag/classify"), KICK, "kick", 0.93, ODD_RED);
  assert.equal(clip.props.color, ODD_RED, "a confident answer takes the mark away");
  assert.equal(clip.props.name, "kick 93% | Kick Take");

  device.send("unsure", 55);
  for (const [confidence, marked] of [[0.546, false], [0.544, true]]) {
    device.send("tagclip");
    result(device, device.lastRequest("/drumtag/classify"), KICK, "kick", confidence, ODD_RED);
    assert.equal(clip.props.color === ODD_RED, !marked, `${confidence} against 55%: the percent the name shows`);
  }
  assert.equal(clip.props.name, "kick? 54% | Kick Take");
  device.send("restore");
  assert.equal(clip.props.name, "Kick Take", "restore knows the unsure mark");

  device.send("unsure", 0);
  device.send("tagclip");
  result(device, device.lastRequest("/drumtag/classify"), KICK, "kick", 0.2, ODD_RED);
  assert.equal(clip.props.color, ODD_RED);
  assert.equal(clip.props.name, "kick 20% | Kick Take");

  device.send("unsure", 101);
  assert.match(device.display("status"), /unsure below: 101 is not a percentage \(0-100/);
  device.send("tagclip");
  result(device, device.lastRequest("/drumtag/classify"), KICK, "kick", 0.2, ODD_RED);
  assert.equal(clip.props.color, ODD_RED, "a refused value leaves the setting as it was");
});

test("tag all counts the unsure files in its summary", () => {
  const live = new FakeLive();
  const k = live.audioClip("k", KICK);
  const s = live.audioClip("s", SNARE);
  const h = live.audioClip("h", HAT);
  live.track("A", { slots: [k, s, h] });
  const device = loadDevice(live).startConnected();
  device.send("tagall");
  const chunk = device.lastRequest("/drumtag/classify_many");
  result(device, chunk, KICK, "kick", 0.95, ODD_RED);
  result(device, chunk, SNARE, "snare", 0.41, ODD_BLUE);
  result(device, chunk, HAT, "hat", 0.59, ODD_BLUE);
  device.reply("/drumtag/done", chunk.id, "/drumtag/classify_many", 3, 0, 0);
  assert.equal(k.props.color, ODD_RED);
  assert.equal(s.props.color, names.unsureColor(ODD_BLUE));
  assert.equal(h.props.color, names.unsureColor(ODD_BLUE));
  assert.equal(device.display("status"), "done: tagged 3 clips (3 files); 2 files unsure (below 60%, muted colour)");
});

test("restore also strips prefixes written in an earlier session and leaves other names alone", () => {
  const live = new FakeLive();
  const old = live.audioClip("hat 88% | Loop A", HAT);
  const empty = live.audioClip("kick 70% |", KICK);
  const user = live.audioClip("kick 100%", SNARE);   // a user's own name without the separator
  live.track("A", { slots: [old, null, user], arrangement: [empty] });
  const device = loadDevice(live).startConnected();
  device.send("restore");
  assert.equal(old.props.name, "Loop A");
  assert.equal(empty.props.name, "");
  assert.equal(user.props.name, "kick 100%");
  assert.deepEqual(live.setsOf(user), []);
});

test("MIDI clips, empty selections and clips without a file send nothing", () => {
  const live = new FakeLive();
  const midi = live.midiClip("Beat");
  const unsaved = live.audioClip("Recording", "");
  live.track("A", { slots: [midi, unsaved] });
  const device = loadDevice(live).startConnected();
  live.selectClip(midi);
  assert.match(device.display("status"), /MIDI clip/);
  live.selectClip(unsaved);
  assert.match(device.display("status"), /no audio file/);
  live.selectClip(null);
  assert.deepEqual(device.requests("/drumtag/classify"), []);
  assert.deepEqual(live.errors, [], "no invalid LiveAPI calls (no file_path on MIDI clips)");
});

test("follow off: selecting does nothing until Tag clip is pressed", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live).startConnected();
  device.send("follow", 0);
  live.selectClip(clip);
  assert.equal(device.requests("/drumtag/classify").length, 0);
  device.send("tagclip");
  assert.deepEqual(device.lastRequest("/drumtag/classify").args, [KICK]);
});

test("replies with unknown ids, unexpected addresses or for other clients change nothing", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live).startConnected();
  live.selectClip(clip);
  const sent = device.lastRequest("/drumtag/classify");
  device.reply("/drumtag/result", sent.id + 1000, KICK, "kick", 0.9, ODD_RED, ...probs("kick"));
  device.reply("/drumtag/pong", sent.id, "0.1.0", "model");           // not a reply classify gets
  device.reply("/other/thing", sent.id, KICK, "kick", 0.9, ODD_RED);  // not a drumtag reply
  assert.deepEqual(live.setsOf(clip), []);
  result(device, sent, KICK, "kick", 0.9, ODD_RED);
  assert.equal(clip.props.color, ODD_RED);
  result(device, sent, KICK, "hat", 0.9, ODD_BLUE);                   // a duplicate after the terminal reply
  assert.equal(clip.props.color, ODD_RED);
});

test("a clip deleted before its answer is skipped without errors", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live).startConnected();
  live.selectClip(clip);
  live.remove(clip);
  result(device, device.lastRequest("/drumtag/classify"), KICK, "kick", 0.9, ODD_RED);
  assert.deepEqual(live.sets, []);
  assert.match(device.display("status"), /deleted/);
});

test("an error reply shows its message, leaves the clip alone and posts one line", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live).startConnected();
  live.selectClip(clip);
  const sent = device.lastRequest("/drumtag/classify");
  device.reply("/drumtag/error", sent.id, "/drumtag/classify", `${KICK}: file not found`);
  assert.deepEqual(live.setsOf(clip), []);
  assert.equal(device.display("status"), "could not classify kick 01.wav: file not found");
  assert.deepEqual(device.posts, [`drumtag: ${KICK}: file not found\n`]);
  assert.match(device.display("counts"), /1 failed/);
});

test("tag all walks session and arrangement clips of every track, classifying each file once", () => {
  const live = new FakeLive();
  const k1 = live.audioClip("k1", KICK);
  const k2 = live.audioClip("k2", KICK);         // same file in another slot
  const s1 = live.audioClip("s1", SNARE);
  const h1 = live.audioClip("h1", HAT);
  const midi = live.midiClip("beat");
  live.track("Audio", { slots: [k1, null, s1], arrangement: [k2] });
  live.track("Midi", { slots: [midi, null] });
  live.track("Group", { slots: [null], foldable: 1 });
  live.track("More", { arrangement: [h1] });
  const device = loadDevice(live).startConnected();
  device.send("naming", 1);
  device.send("tagall");

  const sent = device.requests("/drumtag/classify_many");
  assert.equal(sent.length, 1);
  assert.equal(sent[0].replyPort, 9011);
  assert.deepEqual([...sent[0].args].sort(), [HAT, KICK, SNARE].sort());
  assert.deepEqual(live.errors, [], "no arrangement_clips asked of a group track, no file_path of MIDI clips");

  result(device, sent[0], KICK, "kick", 0.93, ODD_RED);
  device.reply("/drumtag/progress", sent[0].id, 1, 3);
  result(device, sent[0], SNARE, "snare", 0.8, ODD_BLUE);
  device.reply("/drumtag/file_error", sent[0].id, HAT, "not a readable audio file");
  device.reply("/drumtag/done", sent[0].id, "/drumtag/classify_many", 2, 1, 0);

  assert.equal(k1.props.color, ODD_RED);
  assert.equal(k2.props.color, ODD_RED);
  assert.equal(k1.props.name, "kick 93% | k1");
  assert.equal(k2.props.name, "kick 93% | k2");
  assert.equal(s1.props.color, ODD_BLUE);
  assert.deepEqual(live.setsOf(h1), []);
  assert.deepEqual(live.setsOf(midi), []);
  const status = device.display("status");
  assert.match(status, /^done: tagged 3 clips \(2 files\), 1 failed \(last: hat 03\.wav: not a readable audio file\)/);
  assert.match(status, /1 skipped/);
  assert.equal(device.display("counts"), "3/3 files, 2 ok, 1 failed");
});

test("tag all splits long path lists into requests that fit one datagram, sent one after another", () => {
  const live = new FakeLive();
  const clips = [];
  for (let i = 0; i < 40; i++) {
    clips.push(live.audioClip(`c${i}`, `/Volumes/Samples/Some Long Pack Name/Drums/One Shots/hit ${i} é.wav`));
  }
  live.track("A", { slots: clips });
  const device = loadDevice(live).startConnected();
  device.send("tagall");
  const seen = [];
  for (let round = 0; round < 10; round++) {
    const sent = device.requests("/drumtag/classify_many");
    assert.equal(sent.length, round + 1, "the next chunk goes out only after the previous one is done");
    const chunk = sent[round];
    assert.ok(oscSize(chunk) <= 1400, `request of ${oscSize(chunk)} bytes`);
    for (const p of chunk.args) {
      result(device, chunk, p, "kick", 0.9, ODD_RED);
      seen.push(p);
    }
    device.reply("/drumtag/done", chunk.id, "/drumtag/classify_many", chunk.args.length, 0, 0);
    if (seen.length === clips.length) {
      break;
    }
  }
  assert.ok(device.requests("/drumtag/classify_many").length > 1);
  assert.equal(new Set(seen).size, 40);
  assert.ok(clips.every((c) => c.props.color === ODD_RED));
  assert.match(device.display("status"), /^done: tagged 40 clips/);
});

test("tag drum rack walks pads -> chains -> Simpler / Drum Sampler -> sample and colours the chains", () => {
  const live = new FakeLive();
  const kickChain = live.chain("Kick", [live.device("Compressor2"), live.simpler(KICK)]);
  const snareChain = live.chain("Snare", [live.simpler(SNARE, "DrumCellDevice")]);
  const emptySimpler = live.chain("Empty", [live.simpler(null)]);
  const synthChain = live.chain("Synth", [live.device("Operator")]);
  const rack = live.drumRack({ 36: [kickChain], 38: [snareChain], 40: [emptySimpler], 42: [synthChain] });
  const track = live.track("Drums", { devices: [rack] });
  live.selectTrack(track, rack);
  const device = loadDevice(live).startConnected();
  device.send("naming", 1);
  device.send("tagrack");

  const sent = device.lastRequest("/drumtag/classify_many");
  assert.deepEqual(sent.args, [KICK, SNARE]);
  result(device, sent, KICK, "kick", 0.97, ODD_RED);
  result(device, sent, SNARE, "snare", 0.61, ODD_BLUE);
  device.reply("/drumtag/done", sent.id, "/drumtag/classify_many", 2, 0, 0);
  assert.equal(kickChain.props.color, ODD_RED);
  assert.equal(kickChain.props.name, "kick 97% | Kick");
  assert.equal(snareChain.props.color, ODD_BLUE);
  assert.equal(snareChain.props.name, "snare 61% | Snare");
  assert.deepEqual(live.setsOf(emptySimpler), []);
  assert.deepEqual(live.setsOf(synthChain), []);
  assert.match(device.display("status"), /tagged 2 chains .* 2 skipped \(chains without Simpler or Drum Sampler\)/);
  assert.deepEqual(live.errors, []);

  device.send("restore");
  assert.equal(kickChain.props.name, "Kick");
  assert.equal(snareChain.props.name, "Snare");
});

test("tag drum rack finds the rack on the selected track when another device is selected", () => {
  const live = new FakeLive();
  const chain = live.chain("Kick", [live.simpler(KICK)]);
  const eq = live.device("Eq8");
  const rack = live.drumRack({ 36: [chain] });
  const track = live.track("Drums", { devices: [eq, rack] });
  live.selectTrack(track, eq);
  const device = loadDevice(live).startConnected();
  device.send("tagrack");
  assert.deepEqual(device.lastRequest("/drumtag/classify_many").args, [KICK]);
});

test("tag drum rack without a rack says what to do and sends nothing", () => {
  const live = new FakeLive();
  const track = live.track("Bass", { devices: [live.device("Operator")] });
  live.selectTrack(track, null);
  const device = loadDevice(live).startConnected();
  device.send("tagrack");
  assert.match(device.display("status"), /no Drum Rack/);
  assert.deepEqual(device.requests("/drumtag/classify_many"), []);
});

test("stop cancels the running job; it ends when the server confirms", () => {
  const { live } = setWithOneClip();
  live.track("B", { slots: [live.audioClip("s", SNARE)] });
  const device = loadDevice(live).startConnected();
  device.send("tagall");
  const job = device.lastRequest("/drumtag/classify_many");
  device.send("stop");
  const cancel = device.lastRequest("/drumtag/cancel");
  assert.deepEqual(cancel.args, [job.id]);
  assert.equal(cancel.replyPort, 9011);
  device.reply("/drumtag/cancelled", cancel.id, job.id, 1);
  result(device, job, KICK, "kick", 0.9, ODD_RED);
  device.reply("/drumtag/done", job.id, "/drumtag/classify_many", 1, 0, 1);
  assert.match(device.display("status"), /^stopped: tagged 1 clip \(1 file\), 1 failed/);
  device.send("tagall");
  assert.equal(device.requests("/drumtag/classify_many").length, 2, "a new job can start");
});

test("an error reply to a job counts its files as failed and the job goes on", () => {
  const { live } = setWithOneClip();
  const device = loadDevice(live).startConnected();
  device.send("tagall");
  const job = device.lastRequest("/drumtag/classify_many");
  device.reply("/drumtag/error", job.id, "/drumtag/classify_many", "server busy: try again");
  assert.match(device.display("status"),
    /^done: tagged 0 clips \(0 files\), 1 failed \(last: kick 01\.wav: server busy/);
});

test("server down: a clear status, one console line, retries with backoff, then recovery", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live);
  device.send("init");
  assert.equal(device.requests("/drumtag/ping").length, 1, "pings on start");
  live.selectClip(clip);
  assert.equal(device.requests("/drumtag/classify").length, 0, "no classify before the server answers");

  device.clock.advance(2000);   // the ping times out
  assert.match(device.display("status"), /^server not reachable at 127\.0\.0\.1:9010 - start `drumtag serve`/);
  assert.equal(device.display("server"), 0);

  const pingTimes = [];
  let seen = device.requests("/drumtag/ping").length;
  for (let t = 0; t < 180000; t += 100) {
    device.clock.advance(100);
    const now = device.requests("/drumtag/ping").length;
    if (now > seen) {
      pingTimes.push(device.clock.now);
      seen = now;
    }
  }
  const gaps = pingTimes.slice(1).map((t, i) => t - pingTimes[i]);
  assert.ok(gaps.length >= 4, `kept retrying (${pingTimes.length} pings)`);
  assert.ok(gaps[1] > gaps[0] && gaps[2] > gaps[1], `backoff grows: ${gaps}`);
  assert.ok(Math.max(...gaps) <= 32000, `backoff is capped: ${gaps}`);
  assert.equal(device.posts.length, 1, `one console line, not a flood: ${device.posts}`);
  assert.match(device.posts[0], /not reachable at 127\.0\.0\.1:9010/);

  device.send("tagall");
  assert.equal(device.requests("/drumtag/classify_many").length, 0, "tag all waits for the server");
  assert.match(device.display("status"), /not reachable/);

  const ping = device.lastRequest("/drumtag/ping");
  device.reply("/drumtag/pong", ping.id, "0.1.0", "model-x");
  assert.equal(device.display("server"), 1);
  assert.equal(device.posts.length, 2);
  assert.match(device.posts[1], /answering again/);
  assert.deepEqual(device.lastRequest("/drumtag/classify").args, [KICK], "the waiting selection is classified");
});

test("a classify that gets no answer marks the server down and is retried once it answers", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live).startConnected();
  live.selectClip(clip);
  assert.equal(device.requests("/drumtag/classify").length, 1);
  device.clock.advance(16000);
  assert.match(device.display("status"), /not reachable/);
  const ping = device.lastRequest("/drumtag/ping");
  device.clock.advance(2000);   // let the retry ping go out
  const retry = device.lastRequest("/drumtag/ping");
  assert.notEqual(retry.id, ping.id);
  device.reply("/drumtag/pong", retry.id, "0.1.0", "m");
  assert.equal(device.requests("/drumtag/classify").length, 2);
});

test("settings: host, port and reply port go to udpsend / udpreceive and into requests", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live);
  device.send("port", 9020);            // live.numbox values arrive before init too
  device.send("init");
  const startup = device.outlets.filter((o) => o[0] !== 0 && !String(o[1]).startsWith("/"));
  assert.deepEqual(startup, [[1, "host", "127.0.0.1"], [1, "port", 9020], [2, "port", 9011]]);

  device.send("replyport", 9111.0);
  assert.deepEqual(device.outlets.filter((o) => o[0] === 2).pop(), [2, "port", 9111]);
  device.send("host", "text", "192.168.1.20");
  assert.deepEqual(device.outlets.filter((o) => o[0] === 1 && o[1] === "host").pop(), [1, "host", "192.168.1.20"]);
  const ping = device.lastRequest("/drumtag/ping");
  assert.equal(ping.replyPort, 9111);
  device.reply("/drumtag/pong", ping.id, "0.1.0", "m");
  assert.match(device.display("status"), /192\.168\.1\.20:9020/);
  live.selectClip(clip);
  assert.equal(device.lastRequest("/drumtag/classify").replyPort, 9111);

  const before = device.outlets.length;
  device.send("host", "text", "192.168.1.10", "9010");  // typed with a space: not glued into 192.168.1.109010
  assert.match(device.display("status"), /host: give a host name or IP address/);
  device.send("port", 70000);
  device.send("replyport", "abc");
  assert.match(device.display("status"), /reply port: abc is not a port/);
  assert.equal(device.outlets.filter((o, i) => i >= before && o[0] !== 0).length, 0, "bad values are not applied");
});

test("two devices with their own reply ports ignore each other's replies", () => {
  const { live, clip } = setWithOneClip();
  const a = loadDevice(live).startConnected();
  const b = loadDevice(live);
  b.send("replyport", 9012);
  b.startConnected();
  b.send("follow", 0);
  live.selectClip(clip);
  const sent = a.lastRequest("/drumtag/classify");
  b.reply("/drumtag/result", sent.id + 1, KICK, "kick", 0.9, ODD_BLUE, ...probs("kick"));
  assert.deepEqual(live.setsOf(clip), []);
  result(a, sent, KICK, "kick", 0.9, ODD_RED);
  assert.equal(clip.props.color, ODD_RED);
});

test("removing the device cancels its timers and stops observing", () => {
  const { live, clip } = setWithOneClip();
  const device = loadDevice(live);
  device.send("init");
  device.send("notifydeleted");
  assert.equal(device.clock.tasks.size, 0);
  live.selectClip(clip);
  assert.equal(device.requests("/drumtag/classify").length, 0);
});

// Size in bytes of the OSC message udpsend makes from a request (strings NUL-padded to 4 bytes).
function oscSize(request) {
  const pad = (s) => (Buffer.byteLength(s, "utf8") + 4) & ~3;
  return pad(request.address) + pad(",ii" + "s".repeat(request.args.length)) + 8 +
    request.args.reduce((n, s) => n + pad(s), 0);
}

test("stop still ends the job when the server does not confirm the cancel", () => {
  const { live } = setWithOneClip();
  const device = loadDevice(live).startConnected();
  device.send("tagall");
  device.send("stop");
  device.clock.advance(2000);
  assert.match(device.display("status"),
    /^stopped \(the server did not confirm\): tagged 0 clips \(0 files\), 1 failed/);
  assert.equal(device.clock.tasks.size, 0, "no timer left running for the job");
});

test("a server that dies during tag all ends the job after a minute of silence and is looked for again", () => {
  const { live } = setWithOneClip();
  live.track("B", { slots: [live.audioClip("s", SNARE)] });
  const device = loadDevice(live).startConnected();
  device.send("tagall");
  const job = device.lastRequest("/drumtag/classify_many");
  device.clock.advance(59000);
  result(device, job, KICK, "kick", 0.9, ODD_RED);   // an answer restarts the minute
  device.clock.advance(59000);
  assert.match(device.display("status"), /^tagging clips: 1\/2/);
  const pings = device.requests("/drumtag/ping").length;
  device.clock.advance(1000);
  assert.match(device.display("status"), /not reachable/);
  assert.match(device.display("counts"), /^2\/2 files, 1 ok, 1 failed$/);
  device.clock.advance(2000);
  assert.equal(device.requests("/drumtag/ping").length, pings + 1, "the server is looked for again");
});

test("tag all matches a result whose long path the server cut to fit a datagram", () => {
  const live = new FakeLive();
  const longPath = "/Volumes/Samples/" + "Very Long Folder Name/".repeat(80) + "kick.wav";
  const clip = live.audioClip("long", longPath);
  live.track("A", { slots: [clip] });
  const device = loadDevice(live).startConnected();
  device.send("tagall");
  const job = device.lastRequest("/drumtag/classify_many");
  assert.deepEqual(job.args, [longPath]);
  const cut = longPath.slice(0, 200) + "[\u2026]" + longPath.slice(longPath.length - 400);
  result(device, job, cut, "kick", 0.9, ODD_RED);
  device.reply("/drumtag/done", job.id, "/drumtag/classify_many", 1, 0, 0);
  assert.equal(clip.props.color, ODD_RED);
  assert.match(device.display("status"), /^done: tagged 1 clip \(1 file\)$/);
});

test("restore also finds chains tagged in a nested Drum Rack once something else is selected", () => {
  const live = new FakeLive();
  const chain = live.chain("Kick chain", [live.simpler("/s/kick.wav")]);
  const drums = live.drumRack({ 36: [chain] });
  const outer = live.add("RackDevice", { class_name: "InstrumentGroupDevice", can_have_drum_pads: 0,
                                         name: "Instrument Rack" }, { chains: [live.chain("outer", [drums])] });
  const drumsTrack = live.track("Drums", { devices: [outer] });
  const bass = live.track("Bass", {});
  live.selectTrack(drumsTrack, drums);   // the nested Drum Rack, selected for tagging
  const device = loadDevice(live).startConnected();
  device.send("naming", 1);
  device.send("tagrack");
  const req = device.lastRequest("/drumtag/classify_many");
  device.reply("/drumtag/result", req.id, "/s/kick.wav", "kick", 0.93, 0xE0312B, "kick", 0.93, "snare", 0.07);
  device.reply("/drumtag/done", req.id, "/drumtag/classify_many", 1, 0, 0);
  assert.match(chain.props.name, /^kick 93% \| Kick chain$/);
  live.selectTrack(bass, null);
  device.send("restore");
  assert.equal(chain.props.name, "Kick chain");
  assert.match(device.display("status"), /restored 1 name/);
});
