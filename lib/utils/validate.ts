// Re-export of lib/core/validate.ts for the areas that still import it from here.
export * from '../core/validate.js';
