// The release this node reports in its status; kept equal to package.json's version.
export const NODE_VERSION = '0.1.0';
