// Log readers: the public surface used by `luna hunt` and tests.
export { openEvents, readEventsSync, visitEventsSync, VisitedEvent, type SourcedEvent, type OpenEventsOptions } from './open-events.ts';
export { splitForWorkers } from './split.ts';
export { listLogFiles } from './list-files.ts';
export { sniffFile, detectBytes, type LogFormat, type Sniffed } from './detect.ts';
export { readRaw, readRawSync, sliceSize, type LogSlice, type RawReadOptions } from './raw.ts';
export { readEvtxFile, readEvtxBuffer, type EvtxRecord } from './evtx/reader.ts';
export { CODES as SOURCE_CODES } from './diagnostics.ts';
