// Exit codes CI can rely on.
export const EXIT_OK = 0;
/** Findings (detections, failed tests, deviations) were reported. */
export const EXIT_FINDINGS = 1;
/** Usage error or bad input (diagnostics were printed). */
export const EXIT_USAGE = 2;
