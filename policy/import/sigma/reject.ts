// A rule (or one part of it) that cannot be imported faithfully: the message becomes the
// rejection reason in the fidelity report.
export class SigmaReject extends Error {}
