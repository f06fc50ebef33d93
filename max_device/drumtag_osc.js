// drumtag_osc.js: the OSC side of the device: defaults, addresses, reply parsing, datagram-sized requests (ES5).
//
// Loaded by drumtag.js with require("drumtag_osc"). Keep the defaults equal to oscserver/protocol.py
// (DEFAULT_HOST, DEFAULT_PORT, DEFAULT_DEVICE_REPLY_PORT, MAX_DATAGRAM) and to the patch (udpsend and udpreceive
// arguments, live.numbox initial values): the tests check both.

var DEFAULT_HOST = "127.0.0.1";
var DEFAULT_PORT = 9010;
var DEFAULT_REPLY_PORT = 9011;
var MAX_DATAGRAM = 1400;
// The server cuts the middle out of a string that would not fit a datagram and puts this mark there.
var CUT_MARK = "[\u2026]";

var ADDRESS = {
    ping: "/drumtag/ping",
    classify: "/drumtag/classify",
    classifyMany: "/drumtag/classify_many",
    cancel: "/drumtag/cancel",
    pong: "/drumtag/pong",
    result: "/drumtag/result",
    fileError: "/drumtag/file_error",
    progress: "/drumtag/progress",
    done: "/drumtag/done",
    error: "/drumtag/error",
    cancelled: "/drumtag/cancelled"
};

// The replies each kind of request the device makes can get; anything else with its id is ignored.
var EXPECTED = {
    ping: [ADDRESS.pong, ADDRESS.error],
    clip: [ADDRESS.result, ADDRESS.error],
    batch: [ADDRESS.result, ADDRESS.fileError, ADDRESS.progress, ADDRESS.done, ADDRESS.error],
    cancel: [ADDRESS.cancelled, ADDRESS.error]
};

function expects(kind, address) {
    return EXPECTED.hasOwnProperty(kind) && EXPECTED[kind].indexOf(address) >= 0;
}

// /drumtag/result request_id path label confidence color [class probability]...
function parseResult(args) {
    return { path: String(args[1]), label: String(args[2]), confidence: Number(args[3]),
             color: Math.round(Number(args[4])) };
}

// The path, among those asked for, that a reply names: the same string or, when the server cut the reply's path
// to fit a datagram, the one that starts and ends like it. null if none.
function matchPath(replyPath, paths) {
    if (paths.indexOf(replyPath) >= 0) {
        return replyPath;
    }
    var at = replyPath.indexOf(CUT_MARK);
    if (at < 0) {
        return null;
    }
    var head = replyPath.substring(0, at);
    var tail = replyPath.substring(at + CUT_MARK.length);
    for (var i = 0; i < paths.length; i++) {
        var path = paths[i];
        if (path.length >= head.length + tail.length && path.substring(0, head.length) === head &&
                path.substring(path.length - tail.length) === tail) {
            return path;
        }
    }
    return null;
}

// Splits paths into classify_many requests that each fit in one datagram of MAX_DATAGRAM bytes.
function chunkPaths(paths) {
    var chunks = [];
    var current = [];
    for (var i = 0; i < paths.length; i++) {
        var candidate = current.concat([paths[i]]);
        if (current.length && requestSize(ADDRESS.classifyMany, candidate) > MAX_DATAGRAM) {
            chunks.push(current);
            candidate = [paths[i]];
        }
        current = candidate;
    }
    if (current.length) {
        chunks.push(current);
    }
    return chunks;
}

// Bytes of the OSC message `address reply_port:i request_id:i strings:s...` (strings NUL-padded to 4 bytes).
function requestSize(address, strings) {
    var size = oscStringSize(address) + oscStringSize(",ii" + new Array(strings.length + 1).join("s")) + 8;
    for (var i = 0; i < strings.length; i++) {
        size += oscStringSize(strings[i]);
    }
    return size;
}

function oscStringSize(text) {
    return (utf8Length(text) + 4) & ~3;
}

function utf8Length(text) {
    var length = 0;
    for (var i = 0; i < text.length; i++) {
        var code = text.charCodeAt(i);
        if (code < 0x80) {
            length += 1;
        } else if (code < 0x800) {
            length += 2;
        } else if (code >= 0xD800 && code <= 0xDBFF && i + 1 < text.length) {
            length += 4;
            i += 1;
        } else {
            length += 3;
        }
    }
    return length;
}

exports.DEFAULT_HOST = DEFAULT_HOST;
exports.DEFAULT_PORT = DEFAULT_PORT;
exports.DEFAULT_REPLY_PORT = DEFAULT_REPLY_PORT;
exports.MAX_DATAGRAM = MAX_DATAGRAM;
exports.CUT_MARK = CUT_MARK;
exports.ADDRESS = ADDRESS;
exports.expects = expects;
exports.parseResult = parseResult;
exports.matchPath = matchPath;
exports.chunkPaths = chunkPaths;
exports.requestSize = requestSize;
