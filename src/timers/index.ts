export { abortableSleep } from './abortable-sleep.ts';
