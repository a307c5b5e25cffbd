export * from './tree.js';
export { readHdf5 } from './read.js';
export { writeHdf5 } from './write.js';
export { readStringList, setStringList, HDF5_OBJECT_HEADER_LIMIT } from './split-attrs.js';
