"use strict";
// Runs the device's JavaScript against a real drumtag server over UDP on 127.0.0.1 (driven by
// tests/test_max_device.py, which starts the server): [udpsend] and [udpreceive] are emulated with Node dgram
// sockets, encoding and decoding OSC as Max does (whole numbers as int32, other numbers as float32, text as
// strings). The Live set is the fake one; the clock follows real time.
//
// Usage: node loopback.js SERVER_PORT REPLY_PORT SCENARIO.json  ->  one JSON report on stdout.
// SCENARIO: {"kick": path, "snare": path, "hat": path, "missing": path}

const dgram = require("node:dgram");
const fs = require("node:fs");
const { FakeLive, loadDevice } = require("./fake_max.js");

function oscString(text) {
  const bytes = Buffer.from(text + "\0", "utf8");
  return Buffer.concat([bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4)]);
}

// A Max message (selector + atoms) as [udpsend] sends it.
function encode(address, args) {
  let tags = ",";
  const parts = [];
  for (const value of args) {
    if (typeof value === "number" && Number.isInteger(value)) {
      tags += "i";
      const b = Buffer.alloc(4);
      b.writeInt32BE(value);
      parts.push(b);
    } else if (typeof value === "number") {
      tags += "f";
      const b = Buffer.alloc(4);
      b.writeFloatBE(value);
      parts.push(b);
    } else {
      tags += "s";
      parts.push(oscString(String(value)));
    }
  }
  return Buffer.concat([oscString(address), oscString(tags), ...parts]);
}

function readString(buffer, offset) {
  const end = buffer.indexOf(0, offset);
  return [buffer.toString("utf8", offset, end), (end + 4) & ~3];
}

// An OSC message as [udpreceive] outputs it: [address, ...atoms].
function decode(buffer) {
  let [address, offset] = readString(buffer, 0);
  let tags;
  [tags, offset] = readString(buffer, offset);
  const args = [];
  for (const tag of tags.slice(1)) {
    if (tag === "i") {
      args.push(buffer.readInt32BE(offset));
      offset += 4;
    } else if (tag === "f") {
      args.push(buffer.readFloatBE(offset));
      offset += 4;
    } else if (tag === "s") {
      let text;
      [text, offset] = readString(buffer, offset);
      args.push(text);
    } else {
      throw new Error(`unexpected OSC type ${tag} in ${address}`);
    }
  }
  return [address, args];
}

async function main() {
  const [serverPort, replyPort, scenarioFile] = process.argv.slice(2);
  const files = JSON.parse(fs.readFileSync(scenarioFile, "utf8"));

  const live = new FakeLive();
  const clips = {
    kick: live.audioClip("Kick Take", files.kick),
    snare: live.audioClip("Snare", files.snare),
    hat: live.audioClip("Hat Loop", files.hat),
    kickAgain: live.audioClip("Kick Copy", files.kick),
    missing: live.audioClip("Gone", files.missing),
    midi: live.midiClip("Beat"),
  };
  live.track("Audio", { slots: [clips.kick, null, clips.snare, clips.missing], arrangement: [clips.hat] });
  live.track("Midi", { slots: [clips.midi] });
  live.track("More", { arrangement: [clips.kickAgain] });
  const chains = {
    kick: live.chain("Pad Kick", [live.simpler(files.kick)]),
    hat: live.chain("Pad Hat", [live.simpler(files.hat, "DrumCellDevice")]),
  };
  const rack = live.drumRack({ 36: [chains.kick], 42: [chains.hat] });
  live.selectTrack(live.track("Drums", { devices: [rack] }), rack);

  const sender = dgram.createSocket("udp4");
  const receiver = dgram.createSocket("udp4");
  const udpsend = { host: "127.0.0.1", port: Number(serverPort) };
  const device = loadDevice(live, {
    onOutlet(args) {
      if (args[0] === 1 && args[1] === "host") {
        udpsend.host = args[2];
      } else if (args[0] === 1 && args[1] === "port") {
        udpsend.port = args[2];
      } else if (args[0] === 1) {
        sender.send(encode(args[1], args.slice(2)), udpsend.port, udpsend.host);
      }
    },
  });
  receiver.on("message", (msg) => {
    const [address, args] = decode(msg);
    device.reply(address, ...args);
  });
  await new Promise((resolve) => receiver.bind(Number(replyPort), "127.0.0.1", resolve));

  let last = Date.now();
  const ticker = setInterval(() => {
    const now = Date.now();
    device.clock.advance(now - last);
    last = now;
  }, 10);

  const waitFor = async (what, condition, seconds = 60) => {
    const deadline = Date.now() + seconds * 1000;
    while (!condition()) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; status: ${device.display("status")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const statuses = [];

  device.send("port", Number(serverPort));
  device.send("replyport", Number(replyPort));
  device.send("naming", 1);
  device.send("init");
  await waitFor("the server", () => device.display("server") === 1);
  statuses.push(device.display("status"));

  live.selectClip(clips.kick);
  await waitFor("the selected clip", () => live.setsOf(clips.kick, "name").length === 1);
  statuses.push(device.display("status"));

  live.selectClip(clips.missing);
  await waitFor("the missing file's error", () => /could not classify/.test(device.display("status")));
  statuses.push(device.display("status"));

  device.send("tagall");
  await waitFor("tag all", () => /^done: /.test(device.display("status")));
  statuses.push(device.display("status"));

  device.send("tagrack");
  await waitFor("tag rack", () => /^done: .* chains? /.test(device.display("status")));
  statuses.push(device.display("status"));

  const tagged = {};
  for (const [name, obj] of Object.entries({ ...clips, chainKick: chains.kick, chainHat: chains.hat })) {
    tagged[name] = { name: obj.props.name, color: obj.props.color, sets: live.setsOf(obj).length };
  }
  device.send("restore");
  statuses.push(device.display("status"));
  const restored = {};
  for (const [name, obj] of Object.entries({ ...clips, chainKick: chains.kick, chainHat: chains.hat })) {
    restored[name] = obj.props.name;
  }

  clearInterval(ticker);
  sender.close();
  receiver.close();
  process.stdout.write(JSON.stringify({ tagged, restored, statuses, posts: device.posts, errors: live.errors,
    requests: device.requests().map((r) => r.address) }) + "\n");
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
