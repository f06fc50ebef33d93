// drumtag_names.js: the names drumtag gives clips and chains ("kick 93% | original") and how to undo them (ES5).
//
// Loaded by drumtag.js with require("drumtag_names"). The format carries the original name, so names can be
// restored even in a later session; the separator " |" keeps a user's own "kick 100%" from being taken for one.

var TAGGED_NAME = /^[A-Za-z][A-Za-z0-9_\-]* \d{1,3}% \|(?: ([\s\S]*))?$/;

// "kick 93%"
function describe(result) {
    return result.label + " " + Math.round(result.confidence * 100) + "%";
}

// "kick 93% | Kick Take", or "kick 93% |" for an empty original name.
function taggedName(result, original) {
    return describe(result) + " |" + (original ? " " + original : "");
}

function isTagged(name) {
    return TAGGED_NAME.test(name);
}

// The name without drumtag's prefix (the name itself if it has none).
function originalName(name) {
    var match = TAGGED_NAME.exec(name);
    return match ? (match[1] || "") : name;
}

exports.describe = describe;
exports.taggedName = taggedName;
exports.isTagged = isTagged;
exports.originalName = originalName;
