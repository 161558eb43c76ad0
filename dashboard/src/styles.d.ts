/** Vite bundles the stylesheet imported for its side effect in main.tsx. */
declare module '*.css';
