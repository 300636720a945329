// `npm run demo`: runs both reference workflows and writes every figure (PNG + SVG) into out/.
console.log('== Sinkhorn gradients (autodiff / envelope / last_step) ==');
await import('./sinkhorn-gradients.js');
console.log('\n== Dual OT with Adam (entropic and quadratic) ==');
await import('./dual-ot.js');
