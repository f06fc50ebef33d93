// drumtag_live.js: walks the Live set through one LiveAPI cursor: clips, Drum Racks, their samples (ES5).
//
// Loaded by drumtag.js with require("drumtag_live"). Every function takes the cursor (a LiveAPI object) and moves
// it with goto(); they only read from Live. Callbacks are called with the cursor on the object they are given.

// Devices inside Drum Rack chains whose `sample` child holds the file (Simpler, Drum Sampler).
var SAMPLER_CLASSES = { OriginalSimpler: true, DrumCellDevice: true };

// {items: [{id, path}], skipped, why}: every audio clip with a file, session and arrangement.
function collectClips(cursor) {
    var found = { items: [], skipped: 0, why: "MIDI clips or clips without a file" };
    forEachClip(cursor, function (id) {
        if (Number(getValue(cursor, "is_audio_clip")) !== 1) {
            found.skipped += 1;
            return;
        }
        var path = getString(cursor, "file_path");
        if (path) {
            found.items.push({ id: id, path: path });
        } else {
            found.skipped += 1;
        }
    });
    return found;
}

// Calls fn(clipId) for every session and arrangement clip of every track.
function forEachClip(cursor, fn) {
    var tracks = childIds(cursor, "live_set", "tracks");
    for (var t = 0; t < tracks.length; t++) {
        var slots = childIds(cursor, "id " + tracks[t], "clip_slots");
        for (var s = 0; s < slots.length; s++) {
            gotoId(cursor, slots[s]);
            if (Number(getValue(cursor, "has_clip")) !== 1) {
                continue;
            }
            var clip = childIds(cursor, "id " + slots[s], "clip");
            if (clip.length && gotoId(cursor, clip[0])) {
                fn(clip[0]);
            }
        }
        gotoId(cursor, tracks[t]);
        if (Number(getValue(cursor, "is_foldable")) === 1) {
            continue;   // group tracks hold no arrangement clips
        }
        var clips = childIds(cursor, "id " + tracks[t], "arrangement_clips");
        for (var c = 0; c < clips.length; c++) {
            if (gotoId(cursor, clips[c])) {
                fn(clips[c]);
            }
        }
    }
}

// The selected device if it is a Drum Rack, else the first Drum Rack on the selected track; 0 if none.
function findDrumRack(cursor) {
    cursor.goto("live_set view selected_track view selected_device");
    if (Number(cursor.id) !== 0 && isDrumRack(cursor)) {
        return Number(cursor.id);
    }
    var devices = childIds(cursor, "live_set view selected_track", "devices");
    for (var i = 0; i < devices.length; i++) {
        if (gotoId(cursor, devices[i]) && isDrumRack(cursor)) {
            return devices[i];
        }
    }
    return 0;
}

// Ids of the Drum Racks placed directly on tracks.
function allDrumRacks(cursor) {
    var racks = [];
    var tracks = childIds(cursor, "live_set", "tracks");
    for (var t = 0; t < tracks.length; t++) {
        var devices = childIds(cursor, "id " + tracks[t], "devices");
        for (var d = 0; d < devices.length; d++) {
            if (gotoId(cursor, devices[d]) && isDrumRack(cursor)) {
                racks.push(devices[d]);
            }
        }
    }
    return racks;
}

function isDrumRack(cursor) {
    return Number(getValue(cursor, "can_have_drum_pads")) === 1;
}

// {items: [{id, path}], skipped, why}: every chain of the rack's pads whose Simpler / Drum Sampler holds a sample.
function collectRackChains(cursor, rackId) {
    var found = { items: [], skipped: 0, why: "chains without Simpler or Drum Sampler" };
    forEachRackChain(cursor, rackId, function (chainId) {
        var path = chainSample(cursor, chainId);
        if (path) {
            found.items.push({ id: chainId, path: path });
        } else {
            found.skipped += 1;
        }
    });
    return found;
}

// Calls fn(chainId) for every chain of every drum pad of the rack.
function forEachRackChain(cursor, rackId, fn) {
    var pads = childIds(cursor, "id " + rackId, "drum_pads");
    for (var p = 0; p < pads.length; p++) {
        var chains = childIds(cursor, "id " + pads[p], "chains");
        for (var c = 0; c < chains.length; c++) {
            if (gotoId(cursor, chains[c])) {
                fn(chains[c]);
            }
        }
    }
}

// file_path of the first Simpler / Drum Sampler in the chain that holds a sample, or "".
function chainSample(cursor, chainId) {
    var devices = childIds(cursor, "id " + chainId, "devices");
    for (var d = 0; d < devices.length; d++) {
        gotoId(cursor, devices[d]);
        if (!SAMPLER_CLASSES.hasOwnProperty(getString(cursor, "class_name"))) {
            continue;
        }
        var sample = childIds(cursor, "id " + devices[d], "sample");
        if (sample.length && gotoId(cursor, sample[0])) {
            var path = getString(cursor, "file_path");
            if (path) {
                return path;
            }
        }
    }
    return "";
}

// Moves the cursor to a Live object; false if it no longer exists.
function gotoId(cursor, id) {
    cursor.goto("id " + id);
    return Number(cursor.id) !== 0;
}

// Ids of the children `prop` of the object at path (LiveAPI answers "id N id M ..."; id 0 means none).
function childIds(cursor, path, prop) {
    cursor.goto(path);
    if (Number(cursor.id) === 0) {
        return [];
    }
    return liveIds(cursor.get(prop));
}

function liveIds(words) {
    var ids = [];
    words = toArray(words);
    for (var i = 0; i + 1 < words.length; i++) {
        if (words[i] === "id" && Number(words[i + 1]) !== 0) {
            ids.push(Number(words[i + 1]));
            i += 1;
        }
    }
    return ids;
}

function getValue(cursor, prop) {
    var value = cursor.get(prop);
    return value && typeof value === "object" ? value[0] : value;
}

// A string property (name, file_path): LiveAPI returns it as an array of words; surrounding quotes are stripped.
function getString(cursor, prop) {
    var value = cursor.get(prop);
    if (value === undefined || value === null) {
        return "";
    }
    var text = typeof value === "object" ? toArray(value).join(" ") : String(value);
    if (text.length >= 2 && text.charAt(0) === "\"" && text.charAt(text.length - 1) === "\"") {
        text = text.substring(1, text.length - 1);
    }
    return text;
}

function toArray(values) {
    if (values === undefined || values === null) {
        return [];
    }
    return typeof values === "object" ? Array.prototype.slice.call(values) : [values];
}

exports.collectClips = collectClips;
exports.forEachClip = forEachClip;
exports.findDrumRack = findDrumRack;
exports.allDrumRacks = allDrumRacks;
exports.collectRackChains = collectRackChains;
exports.forEachRackChain = forEachRackChain;
exports.gotoId = gotoId;
exports.liveIds = liveIds;
exports.getValue = getValue;
exports.getString = getString;
exports.toArray = toArray;
