"use strict";
// The device's pure modules, loaded as Max's require() loads them: request sizes and chunks, the name format.

const test = require("node:test");
const assert = require("node:assert/strict");
const { makeRequire } = require("./fake_max.js");

const load = makeRequire();
const osc = load("drumtag_osc");
const names = load("drumtag_names");

function oscSize(address, strings) {
  const pad = (s) => (Buffer.byteLength(s, "utf8") + 4) & ~3;
  return pad(address) + pad(",ii" + "s".repeat(strings.length)) + 8 + strings.reduce((n, s) => n + pad(s), 0);
}

test("requestSize is the byte size of the OSC message, multi-byte characters included", () => {
  const cases = [[], ["a"], ["abc"], ["abcd"], ["/x/é.wav"], ["/x/ドラム.wav", "/y/🥁 kick.wav"],
    ["x".repeat(999)]];
  for (const strings of cases) {
    assert.equal(osc.requestSize(osc.ADDRESS.classifyMany, strings), oscSize("/drumtag/classify_many", strings),
      JSON.stringify(strings));
  }
});

test("chunkPaths keeps order, fills each datagram, and sends an over-long path alone", () => {
  const paths = [];
  for (let i = 0; i < 100; i++) {
    paths.push(`/Samples/pack ${i % 7}/${"deep/".repeat(i % 5)}hit ${i}.wav`);
  }
  const long = "/" + "x".repeat(2000) + ".wav";
  paths.splice(50, 0, long);
  const chunks = osc.chunkPaths(paths);
  assert.deepEqual([].concat(...chunks), paths);
  for (const chunk of chunks) {
    const size = oscSize("/drumtag/classify_many", chunk);
    assert.ok(size <= osc.MAX_DATAGRAM || (chunk.length === 1 && chunk[0] === long), `${size} bytes`);
  }
  for (let i = 0; i + 1 < chunks.length; i++) {
    if (chunks[i + 1][0] !== long && chunks[i][0] !== long) {
      const merged = chunks[i].concat([chunks[i + 1][0]]);
      assert.ok(oscSize("/drumtag/classify_many", merged) > osc.MAX_DATAGRAM, "chunks are filled");
    }
  }
  assert.equal(osc.chunkPaths([]).length, 0);
});

test("expects() knows which replies each request gets", () => {
  assert.ok(osc.expects("clip", "/drumtag/result"));
  assert.ok(osc.expects("clip", "/drumtag/error"));
  assert.ok(!osc.expects("clip", "/drumtag/done"));
  assert.ok(osc.expects("batch", "/drumtag/file_error"));
  assert.ok(!osc.expects("toString", "/drumtag/result"));
});

test("tagged names carry the original name back, for any original", () => {
  assert.equal(names.describe({ label: "kick", confidence: 0.934 }), "kick 93%");
  assert.equal(names.describe({ label: "kick", confidence: 0.544 }, true), "kick? 54%");
  assert.equal(names.originalName("kick? 54% | Kick Take"), "Kick Take");
  assert.ok(!names.isTagged("kick?? 54% | x") && !names.isTagged("kick ?54% | x"));
  assert.ok(!names.isTagged("kick 100%"), "a user's own name without the separator is not drumtag's");
  assert.equal(names.originalName("Kick Take"), "Kick Take");
  // a custom model's classes, named after folders: spaces, other letters, digits
  for (const label of ["tom low", "Ünïcode Hat", "808", "k", "clap-2"]) {
    const tagged = names.taggedName({ label: label, confidence: 1 }, "Perc | x", true);
    assert.ok(names.isTagged(tagged), tagged);
    assert.equal(names.originalName(tagged), "Perc | x", tagged);
  }
  assert.ok(!names.isTagged(" kick 93% | x") && !names.isTagged("a|b 93% | x"));
  const result = { label: "percussion", confidence: 0.456 };
  for (const original of ["Kick Take", "", "a | b", "snare 50% | older", "  spaced  ", "ü 100%", "kick 93% |"]) {
    for (const unsure of [false, true]) {
      const tagged = names.taggedName(result, original, unsure);
      assert.ok(tagged.startsWith(unsure ? "percussion? 46% |" : "percussion 46% |"), tagged);
      assert.ok(names.isTagged(tagged));
      assert.equal(names.originalName(tagged), original, tagged);
    }
  }
});

test("matchPath finds the asked-for path behind a reply path the server cut to fit a datagram", () => {
  const asked = ["/a/kick.wav", "/Samples/" + "long folder/".repeat(150) + "snare é.wav", "/b/hat.wav"];
  assert.equal(osc.matchPath("/a/kick.wav", asked), "/a/kick.wav");
  const long = asked[1];
  const cut = long.slice(0, 300) + osc.CUT_MARK + long.slice(long.length - 700);
  assert.equal(osc.matchPath(cut, asked), long);
  assert.equal(osc.matchPath("/c/other.wav", asked), null);
  assert.equal(osc.matchPath("/x" + osc.CUT_MARK + "hat.wav", asked), null);
  assert.equal(osc.CUT_MARK, "[\u2026]");
});
