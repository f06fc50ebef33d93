"use strict";
// drumtag.js must run in Max 8's `js` object: ES5 only. A small tokenizer removes comments, strings and regular
// expression literals, then the code is searched for syntax newer than ES5.

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const vm = require("node:vm");
const { deviceScripts } = require("./fake_max.js");

const REGEX_CAN_FOLLOW = /(^|[(,=:[!&|?{};+\-*%<>~^]|\breturn|\btypeof|\bcase|\bdo|\belse|\bin|\bvoid|\bdelete)$/;

// Code with comments removed and string / regex literals replaced by "" (so their contents are not searched).
function codeOnly(source) {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      if (end < 0) throw new Error("unterminated comment");
      i = end + 2;
      out += " ";
    } else if (c === "\"" || c === "'") {
      i = skipQuoted(source, i, c);
      out += "\"\"";
    } else if (c === "`") {
      out += "`";   // kept: template literals are ES2015
      i++;
    } else if (c === "/" && REGEX_CAN_FOLLOW.test(out.trimEnd())) {
      i = skipRegex(source, i);
      out += "\"\"";
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function skipQuoted(source, start, quote) {
  let i = start + 1;
  while (i < source.length && source[i] !== quote) {
    if (source[i] === "\\") i++;
    if (source[i] === "\n") throw new Error(`unterminated string at ${start}`);
    i++;
  }
  return i + 1;
}

function skipRegex(source, start) {
  let i = start + 1;
  let inClass = false;
  while (i < source.length) {
    const c = source[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "\n") throw new Error(`unterminated regular expression at ${start}`);
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) break;
    i++;
  }
  i++;
  while (/[a-z]/.test(source[i] || "")) i++;
  return i;
}

const NEWER_SYNTAX = [
  [/=>/, "arrow function"],
  [/`/, "template literal"],
  [/\blet\b/, "let"],
  [/\bconst\b/, "const"],
  [/\bclass\b/, "class"],
  [/\.\.\./, "spread / rest"],
  [/\bfor\s*\([^;)]*\bof\b/, "for...of"],
  [/\b(?:import|export)\b/, "modules"],
  [/\b(?:async|await|yield)\b/, "async / generators"],
  [/\bfunction\s*\*/, "generator"],
  [/\bfunction\s*[\w$]*\s*\([^)]*=/, "default parameter"],
  [/\bnew\.target\b/, "new.target"],
  [/\b\d+n\b/, "BigInt literal"],
  [/\?\?|\?\./, "nullish / optional chaining"],
  [/\*\*/, "exponent operator"],
  [/\b(?:Map|Set|WeakMap|Promise|Symbol|Proxy|Reflect)\b/, "ES2015 built-in"],
  [/\.(?:includes|startsWith|endsWith|padStart|padEnd|findIndex|find|fill|flat|flatMap)\s*\(/, "ES2015+ method"],
  [/\b(?:Object\.(?:assign|entries|values)|Array\.(?:from|of))\b/, "ES2015+ method"],
];

function newerSyntax(source) {
  const code = codeOnly(source);
  return NEWER_SYNTAX.filter(([pattern]) => pattern.test(code)).map(([, what]) => what);
}

test("the checker finds ES2015+ syntax and ignores it inside comments, strings and regexes", () => {
  const samples = {
    "var f = (a) => a;": "arrow function",
    "var s = `x${1}`;": "template literal",
    "let a = 1;": "let",
    "const a = 1;": "const",
    "class A {}": "class",
    "f(...args);": "spread / rest",
    "for (var x of xs) {}": "for...of",
    "function f(a, b = 2) {}": "default parameter",
    "function* g() {}": "generator",
    "var m = new Map();": "ES2015 built-in",
    "if (s.startsWith(\"a\")) {}": "ES2015+ method",
    "var o = Object.assign({}, p);": "ES2015+ method",
    "var v = a?.b;": "nullish / optional chaining",
  };
  for (const [code, what] of Object.entries(samples)) {
    assert.ok(newerSyntax(code).includes(what), `${code} -> ${what}`);
  }
  const clean = [
    "// let const => `\nvar a = 1;",
    "/* class A {} */ var b = \"let x => `y`\";",
    "var r = /=>|`|\\.\\.\\./g; var c = 'const';",
    "var d = a / b / c; var e = (x) / 2;",
    "var f = { letter: 1, constant: 2, classes: 3 }; f.letter = f.constant;",
  ];
  for (const code of clean) {
    assert.deepEqual(newerSyntax(code), [], code);
  }
});

test("the device's JavaScript files use ES5 syntax only", () => {
  const files = deviceScripts();
  assert.ok(files.length >= 4, `${files}`);
  for (const file of files) {
    const source = fs.readFileSync(file, "utf8");
    assert.deepEqual(newerSyntax(source), [], file);
    assert.doesNotThrow(() => new vm.Script(source, { filename: file }), `${file} compiles`);
  }
});

test("drumtag.js runs nothing in the high-priority thread and nothing in global code touches the Live API", () => {
  const code = deviceScripts().map((file) => codeOnly(fs.readFileSync(file, "utf8"))).join("\n");
  assert.doesNotMatch(code, /\.immediate\b/, "no function is marked immediate");
  // Top-level statements (outside functions) may only declare values: LiveAPI is unusable in global code.
  let depth = 0;
  let topLevel = "";
  for (const c of code) {
    if (c === "{") depth++;
    if (depth === 0) topLevel += c;
    if (c === "}") depth--;
  }
  assert.doesNotMatch(topLevel, /\bLiveAPI\b|\bTask\s*\(|\boutlet\s*\(/);
  assert.match(topLevel, /\brequire\(/, "the check sees top-level code");
});
