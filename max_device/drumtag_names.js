// drumtag_names.js: how drumtag marks clips and chains: the names it gives them ("kick 93% | original"), how to
// undo those, and the "unsure" mark for a confidence below the device's setting (ES5).
//
// Loaded by drumtag.js with require("drumtag_names"). The format carries the original name, so names can be
// restored even in a later session; the separator " |" keeps a user's own "kick 100%" from being taken for one.
// Keep UNSURE_BELOW and unsureColor equal to oscserver/classes.py (UNSURE_BELOW, unsure_color): the tests check.

// The class is any name without "|" that neither starts nor ends with a space or ends with "?": a custom model's
// classes come from folder names ("tom low", "Ünïcode Hat", "808"), and must be recognised in a later session too.
var TAGGED_NAME = /^[^|\s](?:[^|]*[^|\s?])?\?? \d{1,3}% \|(?: ([\s\S]*))?$/;

// Default of the device's "Unsure below" setting, in percent (0 turns the mark off).
var UNSURE_BELOW = 60;

// The confidence as the name shows it: a whole percent.
function percent(result) {
    return Math.round(result.confidence * 100);
}

// Whether a result is marked unsure: the percent it shows is below `belowPercent`.
function isUnsure(result, belowPercent) {
    return percent(result) < belowPercent;
}

// "kick 93%", or "kick? 54%" when unsure.
function describe(result, unsure) {
    return result.label + (unsure ? "?" : "") + " " + percent(result) + "%";
}

// "kick 93% | Kick Take", or "kick 93% |" for an empty original name.
function taggedName(result, original, unsure) {
    return describe(result, unsure) + " |" + (original ? " " + original : "");
}

function isTagged(name) {
    return TAGGED_NAME.test(name);
}

// The name without drumtag's prefix (the name itself if it has none).
function originalName(name) {
    var match = TAGGED_NAME.exec(name);
    return match ? (match[1] || "") : name;
}

// The colour of an unsure clip: its class colour (0xRRGGBB) halfway to mid grey, each channel (c + 128) >> 1.
function unsureColor(rgb) {
    var out = 0;
    for (var shift = 16; shift >= 0; shift -= 8) {
        out += ((((rgb >> shift) & 0xFF) + 128) >> 1) << shift;
    }
    return out;
}

exports.UNSURE_BELOW = UNSURE_BELOW;
exports.isUnsure = isUnsure;
exports.describe = describe;
exports.taggedName = taggedName;
exports.isTagged = isTagged;
exports.originalName = originalName;
exports.unsureColor = unsureColor;
