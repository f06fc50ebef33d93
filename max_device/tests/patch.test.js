"use strict";
// The patch (drumtag.maxpat): objects present and wired, consistent with drumtag.js and the server's defaults;
// and the built drumtag.amxd, read back with a reader independent of build.py, holds the same patch.

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { DEVICE_DIR, DEVICE_JS, makeRequire } = require("./fake_max.js");

const MAXPAT = path.join(DEVICE_DIR, "drumtag.maxpat");
const AMXD = path.join(DEVICE_DIR, "drumtag.amxd");
const PROTOCOL_PY = path.join(DEVICE_DIR, "..", "oscserver", "protocol.py");

const patchText = fs.readFileSync(MAXPAT, "utf8");
const patcher = JSON.parse(patchText).patcher;
const jsSource = fs.readFileSync(DEVICE_JS, "utf8");
const boxes = new Map(patcher.boxes.map((b) => [b.box.id, b.box]));
const lines = patcher.lines.map((l) => ({ from: l.patchline.source, to: l.patchline.destination }));
const osc = makeRequire()("drumtag_osc");
const names = makeRequire()("drumtag_names");

function jsConstant(name) {
  const match = new RegExp(`^var ${name} = ("?)([^";]*)\\1;`, "m").exec(jsSource);
  assert.ok(match, `drumtag.js defines ${name}`);
  return match[1] ? match[2] : Number(match[2]);
}

function pyConstant(name) {
  const source = fs.readFileSync(PROTOCOL_PY, "utf8");
  const match = new RegExp(`^${name}(?:\\s*:\\s*\\w+)?\\s*=\\s*("?)([^"\\s#]*)\\1`, "m").exec(source);
  assert.ok(match, `oscserver/protocol.py defines ${name}`);
  return match[1] ? match[2] : Number(match[2]);
}

function byText(pattern) {
  const found = [...boxes.values()].filter((b) => pattern.test(b.text || ""));
  assert.equal(found.length, 1, `exactly one box matches ${pattern}`);
  return found[0];
}

function byClass(maxclass) {
  return [...boxes.values()].filter((b) => b.maxclass === maxclass);
}

function wired(fromId, outlet, toId, inlet) {
  return lines.some((l) => l.from[0] === fromId && l.from[1] === outlet && l.to[0] === toId && l.to[1] === inlet);
}

function targetsOf(fromId, outlet) {
  return lines.filter((l) => l.from[0] === fromId && l.from[1] === outlet).map((l) => boxes.get(l.to[0]));
}

function words(box) {
  return String(box.text).split(/\s+/);
}

const jsBox = byText(/^js\s/);

test("every patch line joins existing boxes through existing outlets and inlets", () => {
  assert.ok(lines.length > 0);
  for (const { from, to } of lines) {
    const src = boxes.get(from[0]);
    const dst = boxes.get(to[0]);
    assert.ok(src, `line from unknown box ${from[0]}`);
    assert.ok(dst, `line to unknown box ${to[0]}`);
    assert.ok(from[1] < src.numoutlets, `${from[0]} has no outlet ${from[1]}`);
    assert.ok(to[1] < dst.numinlets, `${to[0]} has no inlet ${to[1]}`);
  }
  const ids = patcher.boxes.map((b) => b.box.id);
  assert.equal(new Set(ids).size, ids.length, "box ids are unique");
});

test("the js box loads drumtag.js with the inlets and outlets the script declares", () => {
  assert.deepEqual(words(jsBox), ["js", "drumtag.js"]);
  assert.ok(fs.existsSync(path.join(DEVICE_DIR, words(jsBox)[1])));
  assert.equal(jsBox.numinlets, Number(/^inlets = (\d+);/m.exec(jsSource)[1]));
  assert.equal(jsBox.numoutlets, Number(/^outlets = (\d+);/m.exec(jsSource)[1]));
  assert.ok(patcher.dependency_cache.some((d) => d.name === "drumtag.js"));
});

test("every module drumtag.js requires exists next to it and is a dependency of the patch", () => {
  const modules = [...jsSource.matchAll(/\brequire\("([\w-]+)"\)/g)].map((m) => m[1]);
  assert.deepEqual(modules.sort(), ["drumtag_live", "drumtag_names", "drumtag_osc"]);
  for (const name of modules) {
    assert.ok(fs.existsSync(path.join(DEVICE_DIR, `${name}.js`)), `${name}.js exists`);
    assert.ok(patcher.dependency_cache.some((d) => d.name === `${name}.js`), `${name}.js is in dependency_cache`);
  }
});

test("the device starts when Live is ready: live.thisdevice -> init -> js", () => {
  const thisdevice = byText(/^live\.thisdevice$/);
  const init = targetsOf(thisdevice.id, 0);
  assert.equal(init.length, 1);
  assert.equal(init[0].maxclass, "message");
  assert.equal(init[0].text, "init");
  assert.ok(wired(init[0].id, 0, jsBox.id, 0));
});

test("requests go from js outlet 1 to udpsend, at the server's default host and port", () => {
  const udpsend = byText(/^udpsend\s/);
  assert.ok(wired(jsBox.id, 1, udpsend.id, 0));
  const [, host, port] = words(udpsend);
  assert.equal(host, osc.DEFAULT_HOST);
  assert.equal(Number(port), osc.DEFAULT_PORT);
  assert.equal(host, pyConstant("DEFAULT_HOST"));
  assert.equal(Number(port), pyConstant("DEFAULT_PORT"));
});

test("replies come from udpreceive on the device reply port, deferred, into js inlet 1", () => {
  const udpreceive = byText(/^udpreceive\s/);
  const [, port, ...attrs] = words(udpreceive);
  assert.equal(Number(port), osc.DEFAULT_REPLY_PORT);
  assert.equal(Number(port), pyConstant("DEFAULT_DEVICE_REPLY_PORT"));
  assert.notEqual(Number(port), pyConstant("DEFAULT_PORT"));
  assert.deepEqual(attrs, ["@defer", "1"], "udpreceive outputs in the low-priority queue");
  const next = targetsOf(udpreceive.id, 0);
  assert.deepEqual(next.map((b) => b.text), ["deferlow"], "replies pass through deferlow");
  assert.ok(wired(next[0].id, 0, jsBox.id, 1));
  assert.ok(wired(jsBox.id, 2, udpreceive.id, 0), "js outlet 2 sets the reply port");
  assert.equal(jsConstant("IN_REPLIES"), 1);
  assert.equal(jsConstant("OUT_SEND"), 1);
  assert.equal(jsConstant("OUT_RECEIVE"), 2);
  assert.equal(osc.MAX_DATAGRAM, pyConstant("MAX_DATAGRAM"));
});

test("js outlet 0 feeds a route of exactly the display fields the script uses, each shown", () => {
  const used = new Set([...jsSource.matchAll(/display\("(\w+)"/g)].map((m) => m[1]));
  const route = targetsOf(jsBox.id, 0);
  assert.equal(route.length, 1);
  const fields = words(route[0]);
  assert.equal(fields[0], "route");
  assert.deepEqual(new Set(fields.slice(1)), used);
  fields.slice(1).forEach((field, outlet) => {
    const shown = targetsOf(route[0].id, outlet);
    assert.equal(shown.length, 1, `route outlet ${outlet} (${field}) is wired`);
    const end = shown[0].text === "prepend set" ? targetsOf(shown[0].id, 0)[0] : shown[0];
    assert.ok(end && end.presentation === 1, `${field} is shown in the device view`);
  });
});

test("every UI control sends a message drumtag.js handles, and every handler has a control", () => {
  const handlers = new Set([...jsSource.matchAll(/^function (\w+)\(/gm)].map((m) => m[1]));
  const sentToJs = lines.filter((l) => l.to[0] === jsBox.id && l.to[1] === 0).map((l) => boxes.get(l.from[0]));
  const selectors = new Set();
  for (const b of sentToJs) {
    const selector = b.maxclass === "message" ? words(b)[0] : words(b)[0] === "prepend" ? words(b)[1] : null;
    assert.ok(selector, `${b.id} (${b.text}) sends a message box or prepend into js`);
    assert.ok(handlers.has(selector), `drumtag.js has no function ${selector}()`);
    selectors.add(selector);
    if (b.text === "init") {
      continue;
    }
    const controls = lines.filter((l) => l.to[0] === b.id && l.to[1] === 0).map((l) => boxes.get(l.from[0]));
    assert.equal(controls.length, 1, `${b.text} is driven by one control`);
    assert.equal(controls[0].presentation, 1, `the control for ${b.text} is in the device view`);
  }
  for (const name of ["init", "tagclip", "tagall", "tagrack", "stop", "restore", "ping", "host", "port",
    "replyport", "naming", "follow", "unsure"]) {
    assert.ok(selectors.has(name), `no control sends ${name}`);
  }
});

test("buttons are live.text in button mode; toggles, ports and host are real settings with the defaults", () => {
  const buttons = byClass("live.text");
  for (const b of buttons) {
    const target = targetsOf(b.id, 0)[0];
    const isToggle = target.maxclass === "newobj";
    assert.equal(b.mode, isToggle ? 1 : 0, `${b.text}: mode`);
  }
  const initial = (prependName) => {
    const prepend = byText(new RegExp(`^prepend ${prependName}$`));
    const control = lines.find((l) => l.to[0] === prepend.id).from[0];
    return boxes.get(control);
  };
  const port = initial("port");
  const reply = initial("replyport");
  const host = initial("host");
  const follow = initial("follow");
  assert.equal(port.maxclass, "live.numbox");
  assert.equal(reply.maxclass, "live.numbox");
  assert.equal(host.maxclass, "textedit");
  assert.equal(host.text, osc.DEFAULT_HOST);
  const value = (b) => b.saved_attribute_attributes.valueof;
  assert.deepEqual(value(port).parameter_initial, [osc.DEFAULT_PORT]);
  assert.deepEqual(value(reply).parameter_initial, [osc.DEFAULT_REPLY_PORT]);
  for (const b of [port, reply]) {
    assert.equal(value(b).parameter_type, 1, "integer parameter");
    assert.equal(value(b).parameter_mmin, 1);
    assert.equal(value(b).parameter_mmax, 65535);
    assert.equal(value(b).parameter_initial_enable, 1);
  }
  assert.deepEqual(value(follow).parameter_initial, [/follow: 1/.test(jsSource) ? 1 : 0]);
  const unsure = initial("unsure");
  assert.equal(unsure.maxclass, "live.numbox");
  assert.deepEqual(value(unsure).parameter_initial, [names.UNSURE_BELOW]);
  assert.equal(value(unsure).parameter_type, 1, "integer parameter");
  assert.equal(value(unsure).parameter_unitstyle, 5, "shown as a percentage");
  assert.equal(value(unsure).parameter_mmin, 0);
  assert.equal(value(unsure).parameter_mmax, 100);
  assert.match(jsSource, /unsure: names\.UNSURE_BELOW/, "drumtag.js starts from the same default");
});

test("Live parameters have unique names and are listed in the patcher's parameters", () => {
  const withParams = [...boxes.values()].filter((b) => b.parameter_enable === 1);
  assert.ok(withParams.length >= 5);
  const names = withParams.map((b) => b.saved_attribute_attributes.valueof.parameter_longname);
  assert.equal(new Set(names).size, names.length, `unique parameter names: ${names}`);
  for (const b of withParams) {
    assert.ok(patcher.parameters[b.id], `${b.id} is in patcher.parameters`);
    assert.equal(patcher.parameters[b.id][0], b.saved_attribute_attributes.valueof.parameter_longname);
  }
});

test("it is an audio effect that passes audio through, shown in presentation within the device width", () => {
  const plugin = byText(/^plugin~$/);
  const plugout = byText(/^plugout~$/);
  assert.ok(wired(plugin.id, 0, plugout.id, 0) && wired(plugin.id, 1, plugout.id, 1));
  assert.equal(patcher.project.amxdtype, Buffer.from("aaaa").readUInt32BE(0));
  assert.equal(patcher.openinpresentation, 1);
  for (const b of boxes.values()) {
    if (b.presentation === 1) {
      const [x, y, w, h] = b.presentation_rect;
      assert.ok(x >= 0 && y >= 0 && x + w <= patcher.devicewidth && y + h <= 169, `${b.id} fits the device`);
    }
  }
});

// An .amxd reader written from the layout in README.md, independent of build.py's.
function readAmxd(buffer) {
  const chunks = [];
  let offset = 0;
  while (offset < buffer.length) {
    const tag = buffer.toString("latin1", offset, offset + 4);
    const size = buffer.readUInt32LE(offset + 4);
    chunks.push({ tag, data: buffer.subarray(offset + 8, offset + 8 + size) });
    offset += 8 + size;
  }
  assert.equal(offset, buffer.length, "chunks end exactly at the end of the file");
  return chunks;
}

test("the built drumtag.amxd reads back to the same patch (and is up to date)", () => {
  const chunks = readAmxd(fs.readFileSync(AMXD));
  assert.deepEqual(chunks.map((c) => c.tag), ["ampf", "meta", "ptch"]);
  assert.equal(chunks[0].data.toString("latin1"), "aaaa");
  assert.equal(chunks[1].data.length, 4);
  const ptch = chunks[2].data;
  assert.equal(ptch[ptch.length - 1], 0, "the patch is NUL-terminated");
  const text = ptch.subarray(0, ptch.length - 1).toString("utf8");
  assert.deepEqual(JSON.parse(text), JSON.parse(patchText));
  assert.equal(text, patchText, "drumtag.amxd is stale: run python3 max_device/build.py");
});
