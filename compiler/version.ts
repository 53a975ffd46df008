// Version of the compiler and of the table format it writes (bumped on any semantic change).
export const COMPILER_VERSION = '0.1.0';
export const TABLE_FORMAT_VERSION = 1;
