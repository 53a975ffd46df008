// The engine version, checked against policies' `engine` ranges and bundles' engine minimum.
export const VERSION = '0.1.0';
