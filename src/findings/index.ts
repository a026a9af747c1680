/** The findings stage's public API (see detect.ts). */
export { detectFindings, makeFindingContext, finalize, cap, SESSION_DETECTORS, CAPTURE_DETECTORS } from "./detect.js";
export { CATALOGUE, FINDING_CODES, isFindingCode, type CatalogueEntry, type FindingCode } from "./catalogue.js";
export { verdictFor } from "./verdict.js";
export { renderFindingsDoc } from "./doc.js";
export type { FindingContext, FindingsResult, FindingDraft, ContextWarning, FrameRef } from "./types.js";
