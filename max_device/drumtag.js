// drumtag.js: the drumtag Max for Live device's logic (Max 8 `js` object, ES5 only).
//
// Sends file paths of Live clips and Drum Rack samples to the drumtag OSC server and colours (and optionally
// names) them from the replies. Max runs `js` code in the low-priority thread only, and the patch defers the
// network replies ([udpreceive @defer 1] -> [deferlow]) before they reach inlet 1, so no LiveAPI call here runs in
// the audio thread. Observer callbacks only read from Live: Live refuses changes made from inside a notification.
//
// Inlet 0: control and settings from the device's UI
//   init                 from [live.thisdevice]: the Live API is ready
//   tagclip              classify the clip in Live's Detail View now
//   tagall               every audio clip of the set (session and arrangement)
//   tagrack              every sample of the selected Drum Rack (pads -> chains -> Simpler / Drum Sampler)
//   stop                 cancel the running tag-all / tag-rack job
//   restore              give every renamed clip and chain its original name back
//   ping                 check the server now
//   host NAME | port N | replyport N | naming 0/1 | follow 0/1
//   unsure N             mark results whose confidence is below N percent (0: never): muted colour, "kick? 54%"
// Inlet 1: OSC replies from [udpreceive] (address as the message selector)
// Outlet 0: display: `status TEXT`, `last TEXT`, `counts TEXT`, `server 0/1`
// Outlet 1: to [udpsend]: OSC requests, and `host NAME` / `port N`
// Outlet 2: to [udpreceive]: `port N`
//
// Modules (next to this file; Max's require): drumtag_osc (defaults, addresses, request sizes), drumtag_live
// (walking the Live set), drumtag_names (the "kick 93% | name" format and the unsure mark).

inlets = 2;
outlets = 3;

var osc = require("drumtag_osc");
var liveSet = require("drumtag_live");
var names = require("drumtag_names");

var PING_TIMEOUT_MS = 2000;
var CLASSIFY_TIMEOUT_MS = 15000;
var BATCH_IDLE_TIMEOUT_MS = 60000;   // restarted by every reply of a running classify_many
var RETRY_MIN_MS = 2000;
var RETRY_MAX_MS = 30000;
var MAX_REQUEST_ID = 2147483647;

var OUT_DISPLAY = 0;
var OUT_SEND = 1;
var OUT_RECEIVE = 2;
var IN_REPLIES = 1;

var settings = {
    host: osc.DEFAULT_HOST, port: osc.DEFAULT_PORT, replyPort: osc.DEFAULT_REPLY_PORT, naming: 0, follow: 1,
    unsure: names.UNSURE_BELOW
};
var started = false;
var nextId = 1;
var pending = {};      // request_id -> request record
var server = { up: false, reported: false, failures: 0, pingId: 0, retry: null, version: "", model: "" };
var cursor = null;     // one LiveAPI object, moved around with goto(), for every get and set
var selection = null;  // LiveAPI observing live_set view detail_clip
var wantedClip = 0;    // clip selected while the server was not reachable; classified once it answers
var batch = null;      // the running tag-all / tag-rack job
var renamed = {};      // Live object id -> {original, tagged}: names drumtag set in this session
var totals = { tagged: 0, failed: 0 };


// ---- messages from the UI (inlet 0) ----------------------------------------------------------------------------

function init() {
    if (started) {
        return;
    }
    started = true;
    nextId = 1 + Math.floor(Math.random() * 1000) * 1000;
    cursor = new LiveAPI("live_set");
    sendNetworkSettings();
    display("server", 0);
    display("status", "looking for drumtag at " + serverAddress() + " ...");
    pingServer();
    selection = new LiveAPI(onSelectionChanged, "live_set view");
    selection.property = "detail_clip";
}

function tagclip() {
    if (!started) {
        return;
    }
    var ids = liveSet.liveIds(selection.get("detail_clip"));
    if (!ids.length) {
        display("status", "no clip selected: click a clip first");
        return;
    }
    requestClip(ids[0]);
}

function tagall() {
    if (!readyForJob()) {
        return;
    }
    startBatch("clip", liveSet.collectClips(cursor));
}

function tagrack() {
    if (!readyForJob()) {
        return;
    }
    var rack = liveSet.findDrumRack(cursor);
    if (!rack) {
        display("status", "no Drum Rack: select one (or a track that holds one), then press Tag rack");
        return;
    }
    startBatch("chain", liveSet.collectRackChains(cursor, rack));
}

function stop() {
    if (!batch) {
        display("status", "nothing to stop");
        return;
    }
    batch.stopping = true;
    display("status", "stopping ...");
    if (batch.current && pending[batch.current]) {
        request(osc.ADDRESS.cancel, "cancel", [batch.current], PING_TIMEOUT_MS, {});
    } else {
        finishBatch("stopped");
    }
}

function restore() {
    if (!started) {
        return;
    }
    var count = { restored: 0 };
    liveSet.forEachClip(cursor, function (id) {
        if (restoreName(id)) {
            count.restored += 1;
        }
    });
    var racks = liveSet.allDrumRacks(cursor);
    var selected = liveSet.findDrumRack(cursor);
    if (selected && racks.indexOf(selected) < 0) {
        racks.push(selected);
    }
    for (var r = 0; r < racks.length; r++) {
        liveSet.forEachRackChain(cursor, racks[r], function (id) {
            if (restoreName(id)) {
                count.restored += 1;
            }
        });
    }
    // what this session renamed where the walk does not go (a Drum Rack nested in a rack's chain, or on a return
    // track, tagged while it was selected): restoreName deletes what it restores, so these are the rest
    var rest = Object.keys(renamed);
    for (var k = 0; k < rest.length; k++) {
        if (restoreName(rest[k])) {
            count.restored += 1;
        }
    }
    display("status", "restored " + plural(count.restored, "name") + " (colours stay; Live's Undo reverts them)");
}

function ping() {
    if (!started) {
        return;
    }
    server.failures = 0;
    pingServer();
}

function host() {
    var words = argumentsArray(arguments);
    if (words.length && words[0] === "text") {
        words.shift();   // [textedit] may prefix its output with "text"
    }
    var name = words.join(" ").replace(/^\s+|\s+$/g, "");   // "local host" stays two words: refused below
    if (!name || /\s/.test(name)) {
        display("status", "host: give a host name or IP address (default " + osc.DEFAULT_HOST + ")");
        return;
    }
    settings.host = name;
    if (started) {
        outlet(OUT_SEND, "host", name);
        reconnect();
    }
}

function port(value) {
    var number = parsePort(value, "port");
    if (!number) {
        return;
    }
    settings.port = number;
    if (started) {
        outlet(OUT_SEND, "port", number);
        reconnect();
    }
}

function replyport(value) {
    var number = parsePort(value, "reply port");
    if (!number) {
        return;
    }
    settings.replyPort = number;
    if (started) {
        outlet(OUT_RECEIVE, "port", number);
        reconnect();
    }
}

function naming(value) {
    settings.naming = Number(value) ? 1 : 0;
}

function unsure(value) {
    var number = Math.round(Number(value));
    if (!(number >= 0 && number <= 100)) {
        display("status", "unsure below: " + value + " is not a percentage (0-100; 0 marks nothing)");
        return;
    }
    settings.unsure = number;
}

function follow(value) {
    settings.follow = Number(value) ? 1 : 0;
    if (settings.follow && started) {
        tagclip();
    }
}

function anything() {
    var args = argumentsArray(arguments);
    if (inlet === IN_REPLIES) {
        handleReply(messagename, args);
    }
}

function notifydeleted() {
    for (var id in pending) {
        if (pending.hasOwnProperty(id)) {
            pending[id].timer.cancel();
        }
    }
    pending = {};
    if (server.retry) {
        server.retry.cancel();
    }
    if (selection) {
        selection.property = "";
    }
}


// ---- requests ----------------------------------------------------------------------------------------------------

// Sends `address reply_port request_id args...` and remembers the request until its terminal reply or timeout.
function request(address, kind, args, timeoutMs, record) {
    var id = nextId;
    nextId = nextId >= MAX_REQUEST_ID ? 1 : nextId + 1;
    record.id = id;
    record.address = address;
    record.kind = kind;
    record.timeoutMs = timeoutMs;
    record.timer = new Task(onRequestTimeout, this, [id]);
    record.timer.schedule(timeoutMs);
    pending[id] = record;
    outlet.apply(this, [OUT_SEND, address, settings.replyPort, id].concat(args));
    return id;
}

function finishRequest(record) {
    record.timer.cancel();
    delete pending[record.id];
}

function onRequestTimeout(id) {
    var record = pending[id];
    if (!record) {
        return;
    }
    delete pending[id];
    if (record.kind === "clip") {
        wantedClip = record.target.id;
        serverLost();
    } else if (record.kind === "batch") {
        countUnresolved(record, "no answer from the server");
        finishBatch("stopped: the server stopped answering");
        serverLost();
    } else if (record.kind === "ping") {
        serverLost();
    } else if (record.kind === "cancel" && batch && batch.stopping) {
        var job = pending[batch.current];
        if (job) {
            countUnresolved(job, "stopped");
        }
        finishBatch("stopped (the server did not confirm)");
    }
}

function requestClip(clipId) {
    if (!liveSet.gotoId(cursor, clipId)) {
        return;
    }
    if (Number(liveSet.getValue(cursor, "is_audio_clip")) !== 1) {
        display("status", "selected clip is a MIDI clip: nothing to classify");
        return;
    }
    var path = liveSet.getString(cursor, "file_path");
    if (!path) {
        display("status", "selected clip has no audio file (not saved yet?)");
        return;
    }
    if (!server.up) {
        wantedClip = clipId;
        display("status", (server.failures ? unreachableText() : "waiting for drumtag at " + serverAddress()) +
                "; will classify " + baseName(path) + " when it answers");
        pingServer();
        return;
    }
    for (var id in pending) {
        if (pending.hasOwnProperty(id) && pending[id].kind === "clip" && pending[id].target.id === clipId) {
            return;   // already asked about this clip
        }
    }
    request(osc.ADDRESS.classify, "clip", [path], CLASSIFY_TIMEOUT_MS, { target: { id: clipId }, path: path });
    display("status", "classifying " + baseName(path) + " ...");
}


// ---- replies (inlet 1) -------------------------------------------------------------------------------------------

function handleReply(address, args) {
    var record = pending[toInt(args[0])];
    if (!record || !osc.expects(record.kind, address)) {
        return;   // not ours (another client, a request that timed out) or not a reply this request gets
    }
    serverFound();
    if (record.kind === "ping") {
        onPingReply(record, address, args);
    } else if (record.kind === "clip") {
        onClipReply(record, address, args);
    } else if (record.kind === "batch") {
        onBatchReply(record, address, args);
    } else {
        finishRequest(record);   // cancelled: the job ends with its own done reply
    }
}

function onPingReply(record, address, args) {
    finishRequest(record);
    if (address === osc.ADDRESS.error) {
        display("status", "drumtag at " + serverAddress() + " refused ping: " + args[2]);
        return;
    }
    server.version = String(args[1]);
    server.model = String(args[2]);
    display("status", "connected to drumtag " + server.version + " at " + serverAddress() + ", model " + server.model);
    if (wantedClip) {
        var clipId = wantedClip;
        wantedClip = 0;
        requestClip(clipId);
    }
}

function onClipReply(record, address, args) {
    finishRequest(record);
    if (address === osc.ADDRESS.error) {
        totals.failed += 1;
        display("status", "could not classify " + baseName(record.path) + ": " + reason(record.path, args[2]));
        post("drumtag: " + args[2] + "\n");
        showTotals();
        return;
    }
    var result = osc.parseResult(args);
    var doubtful = names.isUnsure(result, settings.unsure);
    if (applyTag(record.target.id, result, doubtful)) {
        totals.tagged += 1;
        display("status", "tagged " + baseName(record.path) +
                (doubtful ? ": unsure (below " + settings.unsure + "%), check it by ear" : ""));
    } else {
        display("status", "the clip was deleted before the answer came");
    }
    display("last", names.describe(result, doubtful) + "  " + baseName(result.path));
    showTotals();
}

function onBatchReply(record, address, args) {
    record.timer.cancel();
    record.timer.schedule(record.timeoutMs);
    var path = osc.matchPath(String(args[1]), record.paths);
    if (address === osc.ADDRESS.result) {
        var result = osc.parseResult(args);
        var targets = batch && path !== null ? batch.byPath[key(path)] : null;
        if (targets && !record.resolved[key(path)]) {
            record.resolved[key(path)] = true;
            batch.ok += 1;
            var doubtful = names.isUnsure(result, batch.unsureBelow);
            if (doubtful) {
                batch.unsure += 1;
            }
            for (var i = 0; i < targets.length; i++) {
                if (applyTag(targets[i], result, doubtful)) {
                    batch.tagged += 1;
                }
            }
            display("last", names.describe(result, doubtful) + "  " + baseName(path));
            showProgress();
        }
    } else if (address === osc.ADDRESS.fileError) {
        if (batch && path !== null && !record.resolved[key(path)]) {
            record.resolved[key(path)] = true;
            batch.failed += 1;
            batch.lastError = baseName(path) + ": " + reason(path, args[2]);
            showProgress();
        }
    } else if (address === osc.ADDRESS.done) {
        finishRequest(record);
        countUnresolved(record, "no result from the server");
        if (Number(args[4]) === 1 || (batch && batch.stopping)) {
            finishBatch("stopped");
        } else {
            sendNextChunk();
        }
    } else if (address === osc.ADDRESS.error) {
        finishRequest(record);
        countUnresolved(record, String(args[2]));
        if (batch && batch.stopping) {
            finishBatch("stopped");
        } else {
            sendNextChunk();
        }
    }
}


// ---- server reachability -----------------------------------------------------------------------------------------

function pingServer() {
    if (server.pingId && pending[server.pingId]) {
        return;   // one ping at a time
    }
    if (server.retry) {
        server.retry.cancel();
    }
    server.pingId = request(osc.ADDRESS.ping, "ping", [], PING_TIMEOUT_MS, {});
}

function serverLost() {
    server.up = false;
    server.failures += 1;
    var delay = Math.min(RETRY_MIN_MS * Math.pow(2, server.failures - 1), RETRY_MAX_MS);
    if (!server.reported) {
        server.reported = true;   // one console line per outage, not one per retry
        post("drumtag: " + unreachableText() + "; retrying in the background\n");
    }
    display("server", 0);
    display("status", unreachableText() + " (retry in " + Math.round(delay / 1000) + " s)");
    if (!server.retry) {
        server.retry = new Task(pingServer, this);
    }
    server.retry.cancel();
    server.retry.schedule(delay);
}

function serverFound() {
    if (server.up) {
        return;
    }
    server.up = true;
    server.failures = 0;
    if (server.retry) {
        server.retry.cancel();
    }
    if (server.reported) {
        server.reported = false;
        post("drumtag: server at " + serverAddress() + " is answering again\n");
    }
    display("server", 1);
}

function reconnect() {
    if (server.pingId && pending[server.pingId]) {
        finishRequest(pending[server.pingId]);   // its answer would go to the old address or reply port
    }
    server.up = false;
    server.failures = 0;
    display("server", 0);
    display("status", "looking for drumtag at " + serverAddress() + " ...");
    pingServer();
}

function sendNetworkSettings() {
    outlet(OUT_SEND, "host", settings.host);
    outlet(OUT_SEND, "port", settings.port);
    outlet(OUT_RECEIVE, "port", settings.replyPort);
}

function unreachableText() {
    return "server not reachable at " + serverAddress() + " - start `drumtag serve`";
}

function serverAddress() {
    return settings.host + ":" + settings.port;
}


// ---- tag-all / tag-rack jobs -------------------------------------------------------------------------------------

function readyForJob() {
    if (!started) {
        return false;
    }
    if (batch) {
        display("status", "already tagging (" + batch.done() + "/" + batch.files + "): press Stop first");
        return false;
    }
    if (!server.up) {
        display("status", unreachableText());
        pingServer();
        return false;
    }
    return true;
}

// Starts a tag-all / tag-rack job. found: {items: [{id, path}], skipped, why}; noun: "clip" or "chain".
// A file shared by several clips is classified once.
function startBatch(noun, found) {
    var byPath = {};
    var paths = [];
    for (var i = 0; i < found.items.length; i++) {
        var k = key(found.items[i].path);
        if (!byPath[k]) {
            byPath[k] = [];
            paths.push(found.items[i].path);
        }
        byPath[k].push(found.items[i].id);
    }
    if (!paths.length) {
        display("status", "no " + noun + "s with an audio file to tag" +
                (found.skipped ? " (" + found.skipped + " skipped: " + found.why + ")" : ""));
        return;
    }
    batch = {
        noun: noun, byPath: byPath, files: paths.length, targets: found.items.length, skipped: found.skipped,
        why: found.why, chunks: osc.chunkPaths(paths), next: 0, current: 0, ok: 0, failed: 0, tagged: 0,
        unsure: 0, unsureBelow: settings.unsure, stopping: false, lastError: "",
        done: function () { return this.ok + this.failed; }
    };
    showProgress();
    sendNextChunk();
}

function sendNextChunk() {
    if (!batch) {
        return;
    }
    if (batch.next >= batch.chunks.length) {
        finishBatch("done");
        return;
    }
    var paths = batch.chunks[batch.next];
    batch.next += 1;
    batch.current = request(osc.ADDRESS.classifyMany, "batch", paths, BATCH_IDLE_TIMEOUT_MS,
                            { paths: paths, resolved: {} });
}

// Counts the files of a classify_many request that got neither a result nor a file_error as failed.
function countUnresolved(record, why) {
    if (!batch) {
        return;
    }
    for (var i = 0; i < record.paths.length; i++) {
        if (!record.resolved[key(record.paths[i])]) {
            record.resolved[key(record.paths[i])] = true;
            batch.failed += 1;
            batch.lastError = baseName(record.paths[i]) + ": " + why;
        }
    }
}

function finishBatch(how) {
    var job = batch;
    batch = null;
    if (!job) {
        return;
    }
    for (var id in pending) {
        if (pending.hasOwnProperty(id) && pending[id].kind === "batch") {
            finishRequest(pending[id]);
        }
    }
    totals.tagged += job.tagged;
    totals.failed += job.failed;
    var text = how + ": tagged " + plural(job.tagged, job.noun) + " (" + plural(job.ok, "file") + ")";
    if (job.failed) {
        text += ", " + job.failed + " failed (last: " + job.lastError + ")";
    }
    if (job.skipped) {
        text += ", " + job.skipped + " skipped (" + job.why + ")";
    }
    if (job.unsure) {
        text += "; " + plural(job.unsure, "file") + " unsure (below " + job.unsureBelow + "%, muted colour)";
    }
    display("status", text);
    display("counts", job.done() + "/" + job.files + " files, " + job.ok + " ok, " + job.failed + " failed");
}

function showProgress() {
    display("status", "tagging " + batch.noun + "s: " + batch.done() + "/" + batch.files + " files");
    display("counts", batch.done() + "/" + batch.files + " files, " + batch.ok + " ok, " + batch.failed + " failed");
}

function showTotals() {
    display("counts", "this session: " + totals.tagged + " tagged, " + totals.failed + " failed");
}


// ---- colours and names -------------------------------------------------------------------------------------------

// Colours (and, if naming is on, renames) a clip or chain; muted and "kick? 54%" if `doubtful` (the result is
// unsure). False if it no longer exists.
function applyTag(id, result, doubtful) {
    if (!liveSet.gotoId(cursor, id)) {
        return false;
    }
    cursor.set("color", doubtful ? names.unsureColor(result.color) : result.color);
    if (settings.naming) {
        var current = liveSet.getString(cursor, "name");
        var known = renamed[id];
        var original = known && known.tagged === current ? known.original : names.originalName(current);
        var tagged = names.taggedName(result, original, doubtful);
        renamed[id] = { original: original, tagged: tagged };
        cursor.set("name", tagged);
    }
    return true;
}

// Gives a clip or chain its original name back; true if it had a drumtag name.
function restoreName(id) {
    if (!liveSet.gotoId(cursor, id)) {
        return false;
    }
    var current = liveSet.getString(cursor, "name");
    var known = renamed[id];
    var original;
    if (known && known.tagged === current) {
        original = known.original;
    } else if (names.isTagged(current)) {
        original = names.originalName(current);
    } else {
        return false;
    }
    cursor.set("name", original);
    delete renamed[id];
    return true;
}


// ---- selection ---------------------------------------------------------------------------------------------------

// Observer of live_set view detail_clip. Runs inside Live's notification: it may read, never change the set.
function onSelectionChanged(args) {
    var words = argumentsArray(args);
    if (words[0] !== "detail_clip" || !settings.follow) {
        return;
    }
    var ids = liveSet.liveIds(words.slice(1));
    if (ids.length) {
        requestClip(ids[0]);
    }
}


// ---- small helpers -----------------------------------------------------------------------------------------------

function display(field, value) {
    outlet(OUT_DISPLAY, field, value);
}

function parsePort(value, what) {
    var number = Math.round(Number(value));
    if (!(number >= 1 && number <= 65535)) {
        display("status", what + ": " + value + " is not a port (1-65535)");
        return 0;
    }
    return number;
}

function argumentsArray(args) {
    if (args === undefined || args === null) {
        return [];
    }
    if (typeof args !== "object") {
        return [args];
    }
    return Array.prototype.slice.call(args);
}

function toInt(value) {
    return Math.round(Number(value));
}

// Keys for maps by file path that cannot collide with Object.prototype names.
function key(path) {
    return "p:" + path;
}

// The server's message without the path it starts with (the status line names the file already).
function reason(path, message) {
    message = String(message);
    return message.indexOf(path + ": ") === 0 ? message.substring(path.length + 2) : message;
}

function baseName(path) {
    var parts = String(path).split(/[\\\/]/);
    return parts[parts.length - 1];
}

function plural(n, noun) {
    return n + " " + noun + (n === 1 ? "" : "s");
}
