"use strict";
// A fake Live set behind a fake LiveAPI, and a fake Max `js` environment (outlet, post, Task, inlet, messagename)
// that runs drumtag.js in its own V8 context with the ES2015+ built-ins removed, as in Max 8's `js` object.

const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const DEVICE_DIR = path.join(__dirname, "..");
const DEVICE_JS = path.join(DEVICE_DIR, "drumtag.js");

// Built-ins newer than ES5, deleted from the device's context so that using one fails the tests.
const NEWER_BUILTINS = [
  "Map", "Set", "WeakMap", "WeakSet", "Promise", "Symbol", "Proxy", "Reflect", "globalThis",
  "Array.from", "Array.of", "Array.prototype.find", "Array.prototype.findIndex", "Array.prototype.fill",
  "Array.prototype.includes", "Array.prototype.entries", "Array.prototype.keys", "Array.prototype.values",
  "Array.prototype.flat", "Array.prototype.flatMap", "Object.assign", "Object.entries", "Object.values",
  "String.prototype.includes", "String.prototype.startsWith", "String.prototype.endsWith",
  "String.prototype.repeat", "String.prototype.padStart", "String.prototype.padEnd", "String.prototype.trimStart",
  "String.prototype.trimEnd", "Number.isInteger", "Number.isNaN", "Number.isFinite", "Math.trunc", "Math.sign",
];

class LiveObject {
  constructor(live, id, type, props, children) {
    this.live = live;
    this.id = id;
    this.type = type;
    this.props = props || {};
    this.children = children || {};
  }
}

// A Live set: objects with ids, properties and children; records every get, set and observer.
class FakeLive {
  constructor() {
    this.objects = new Map();
    this.lastId = 0;
    this.gets = [];
    this.sets = [];
    this.errors = [];         // what Max would print to its console for invalid LiveAPI use
    this.observers = [];
    this.notifying = 0;
    this.song = this.add("Song", {}, { tracks: [] });
    this.songView = this.add("Song.View", {}, { detail_clip: null, selected_track: null });
    this.song.children.view = this.songView;
  }

  add(type, props, children) {
    this.lastId += 1;
    const obj = new LiveObject(this, this.lastId, type, props, children);
    this.objects.set(obj.id, obj);
    return obj;
  }

  remove(obj) {
    this.objects.delete(obj.id);
  }

  audioClip(name, filePath, extra) {
    return this.add("Clip", Object.assign({ name, file_path: filePath, is_audio_clip: 1, color: 0 }, extra), {});
  }

  midiClip(name) {
    return this.add("Clip", { name, is_audio_clip: 0, color: 0 }, {});
  }

  // slots: clips or null (empty slot); arrangement: clips; devices: device objects.
  track(name, { slots = [], arrangement = [], devices = [], foldable = 0 } = {}) {
    const clipSlots = slots.map((clip) =>
      this.add("ClipSlot", { has_clip: clip ? 1 : 0 }, { clip }));
    const view = this.add("Track.View", {}, { selected_device: null });
    const children = { clip_slots: clipSlots, devices, view };
    if (!foldable) {
      children.arrangement_clips = arrangement;   // group tracks have none (asking posts an error in Max)
    }
    const track = this.add("Track", { name, is_foldable: foldable }, children);
    this.song.children.tracks.push(track);
    return track;
  }

  simpler(filePath, className = "OriginalSimpler") {
    const sample = filePath === null ? null : this.add("Sample", { file_path: filePath }, {});
    return this.add("Device", { class_name: className, can_have_drum_pads: 0, name: className }, { sample });
  }

  device(className) {
    return this.add("Device", { class_name: className, can_have_drum_pads: 0, name: className }, {});
  }

  chain(name, devices) {
    return this.add("Chain", { name, color: 0 }, { devices });
  }

  // pads: {note: [chains]}; the other pads of the 128 are empty.
  drumRack(pads) {
    const drumPads = [];
    for (let note = 0; note < 128; note++) {
      drumPads.push(this.add("DrumPad", { note }, { chains: pads[note] || [] }));
    }
    return this.add("RackDevice", { class_name: "DrumGroupDevice", can_have_drum_pads: 1, name: "Drum Rack" },
      { drum_pads: drumPads });
  }

  selectTrack(track, device) {
    this.songView.children.selected_track = track;
    track.children.view.children.selected_device = device || null;
  }

  // The user clicks a clip: Live shows it in the Detail View and notifies observers of detail_clip.
  selectClip(clip) {
    this.songView.children.detail_clip = clip;
    this.notify(this.songView, "detail_clip");
  }

  notify(obj, prop) {
    for (const observer of this.observers.slice()) {
      if (observer.api._obj === obj && observer.prop === prop) {
        this.callInNotification(observer.api, [prop].concat(this.value(obj, prop)));
      }
    }
  }

  callInNotification(api, args) {
    if (!api._callback) {
      return;
    }
    this.notifying += 1;
    try {
      api._callback.call(api, args);
    } finally {
      this.notifying -= 1;
    }
  }

  resolve(pathText) {
    const words = String(pathText).trim().split(/\s+/);
    let obj = null;
    let i = 0;
    if (words[0] === "live_set") {
      obj = this.song;
      i = 1;
    } else if (words[0] === "id") {
      obj = this.objects.get(Number(words[1])) || null;
      i = 2;
    } else {
      this.errors.push(`invalid path: ${pathText}`);
      return null;
    }
    while (obj && i < words.length) {
      const child = obj.children[words[i]];
      if (Array.isArray(child)) {
        obj = child[Number(words[i + 1])] || null;
        i += 2;
      } else if (child === undefined) {
        this.errors.push(`invalid path: ${pathText}`);
        return null;
      } else {
        obj = child;
        i += 1;
      }
    }
    return obj && this.objects.has(obj.id) ? obj : null;
  }

  value(obj, prop) {
    if (Object.prototype.hasOwnProperty.call(obj.children, prop)) {
      const child = obj.children[prop];
      if (Array.isArray(child)) {
        return child.filter((c) => this.objects.has(c.id)).flatMap((c) => ["id", c.id]);
      }
      return ["id", child && this.objects.has(child.id) ? child.id : 0];
    }
    if (Object.prototype.hasOwnProperty.call(obj.props, prop)) {
      return [obj.props[prop]];
    }
    this.errors.push(`get: ${obj.type} has no property ${prop}`);
    return [];
  }

  setsOf(obj, prop) {
    return this.sets.filter((s) => s.id === obj.id && (!prop || s.prop === prop));
  }
}

function makeLiveAPI(live) {
  return class LiveAPI {
    constructor(callback, pathText) {
      if (typeof callback !== "function") {
        pathText = callback;
        callback = null;
      }
      this._callback = callback;
      this._obj = null;
      this._property = "";
      this.goto(pathText === undefined ? "live_set" : pathText);
      if (callback) {
        live.callInNotification(this, ["id", this._obj ? this._obj.id : 0]);
      }
    }

    goto(pathText) {
      this._obj = live.resolve(pathText);
    }

    get id() {
      return String(this._obj ? this._obj.id : 0);
    }

    get property() {
      return this._property;
    }

    set property(prop) {
      live.observers = live.observers.filter((o) => o.api !== this);
      this._property = prop;
      if (prop && this._obj) {
        live.observers.push({ api: this, prop });
        live.callInNotification(this, [prop].concat(live.value(this._obj, prop)));
      }
    }

    get(prop) {
      if (!this._obj) {
        live.errors.push(`get ${prop}: no object`);
        return [];
      }
      live.gets.push({ id: this._obj.id, prop });
      return live.value(this._obj, prop);
    }

    set(prop, value) {
      if (live.notifying) {
        throw new Error("Changes cannot be triggered by notifications");
      }
      if (!this._obj) {
        live.errors.push(`set ${prop}: no object`);
        return;
      }
      live.sets.push({ id: this._obj.id, prop, value });
      this._obj.props[prop] = value;
    }

    getcount(prop) {
      return this.get(prop).filter((w) => w === "id").length;
    }
  };
}

// Max's scheduler, driven by hand: advance(ms) runs the tasks that fall due, in order.
class FakeClock {
  constructor() {
    this.now = 0;
    this.tasks = new Set();
  }

  makeTask() {
    const clock = this;
    return function Task(fn, obj, args) {
      this.fn = fn;
      this.obj = obj;
      this.args = args || [];
      this.due = null;
      this.schedule = function (ms) {
        this.due = clock.now + (ms || 0);
        clock.tasks.add(this);
      };
      this.cancel = function () {
        this.due = null;
        clock.tasks.delete(this);
      };
    };
  }

  advance(ms) {
    const end = this.now + ms;
    for (;;) {
      let next = null;
      for (const task of this.tasks) {
        if (task.due <= end && (!next || task.due < next.due)) {
          next = task;
        }
      }
      if (!next) {
        break;
      }
      this.now = next.due;
      this.tasks.delete(next);
      next.due = null;
      next.fn.apply(next.obj, next.args);
    }
    this.now = end;
  }
}

// Runs a script in its own context (the given globals, ES2015+ built-ins removed); returns the context.
function runScript(file, globals) {
  const context = vm.createContext(globals);
  vm.runInContext(NEWER_BUILTINS.map((name) => `delete ${name};`).join("\n"), context);
  vm.runInContext(fs.readFileSync(file, "utf8"), context, { filename: file });
  return context;
}

// Max's require(): a module next to the device, run once in its own scope with only `exports` (modules get none
// of the js object's globals here, so they must not use outlet, post, LiveAPI or Task).
function makeRequire() {
  const cache = new Map();
  return function require(name) {
    if (!/^[\w-]+$/.test(name)) {
      throw new Error(`require: ${name} is not a module name next to the device`);
    }
    if (!cache.has(name)) {
      cache.set(name, runScript(path.join(DEVICE_DIR, `${name}.js`), { exports: {} }).exports);
    }
    return cache.get(name);
  };
}

// Loads drumtag.js into a fresh context; returns helpers to send it messages and read what it did.
// onOutlet(args), if given, sees every outlet call as it happens (the loopback test sends requests with it).
function loadDevice(live, { onOutlet } = {}) {
  const clock = new FakeClock();
  const outlets = [];
  const posts = [];
  const sandbox = {
    LiveAPI: makeLiveAPI(live),
    Task: clock.makeTask(),
    outlet: (...args) => {
      outlets.push(args);
      if (onOutlet) {
        onOutlet(args);
      }
    },
    post: (...args) => posts.push(args.join(" ")),
    inlet: 0,
    messagename: "",
  };
  sandbox.require = makeRequire();
  runScript(DEVICE_JS, sandbox);

  const device = {
    live, clock, outlets, posts, sandbox,
    // A message into inlet 0, dispatched as Max does: a function of that name, else anything().
    send(name, ...args) {
      sandbox.inlet = 0;
      sandbox.messagename = name;
      const fn = typeof sandbox[name] === "function" ? sandbox[name] : sandbox.anything;
      fn(...args);
    },
    // An OSC reply from [udpreceive] into inlet 1.
    reply(address, ...args) {
      sandbox.inlet = 1;
      sandbox.messagename = address;
      sandbox.anything(...args);
    },
    requests(address) {
      return outlets.filter((o) => o[0] === 1 && String(o[1]).startsWith("/") && (!address || o[1] === address))
        .map((o) => ({ address: o[1], replyPort: o[2], id: o[3], args: o.slice(4) }));
    },
    lastRequest(address) {
      const all = device.requests(address);
      return all[all.length - 1];
    },
    display(field) {
      const shown = outlets.filter((o) => o[0] === 0 && o[1] === field);
      return shown.length ? shown[shown.length - 1][2] : undefined;
    },
    // Starts the device (live.thisdevice) and answers its first ping.
    startConnected() {
      device.send("init");
      const ping = device.lastRequest("/drumtag/ping");
      device.reply("/drumtag/pong", ping.id, "0.1.0", "test-model");
      return device;
    },
  };
  return device;
}

// The device's JavaScript files: drumtag.js and the modules it requires.
function deviceScripts() {
  return fs.readdirSync(DEVICE_DIR).filter((f) => /^drumtag.*\.js$/.test(f)).sort()
    .map((f) => path.join(DEVICE_DIR, f));
}

module.exports = { FakeLive, loadDevice, makeRequire, deviceScripts, DEVICE_DIR, DEVICE_JS };
