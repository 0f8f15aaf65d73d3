/** File-system helpers shared by the kernel's file-backed stores. */
export { writeFileAtomic } from './write-file-atomic';
