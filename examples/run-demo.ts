// `npm run demo`: runs the reference workflows and the ported gallery examples, writing every figure (PNG + SVG) into out/.
console.log('== Sinkhorn gradients (autodiff / envelope / last_step) ==');
await import('./sinkhorn-gradients.js');
console.log('\n== Dual OT with Adam (entropic and quadratic) ==');
await import('./dual-ot.js');
console.log('\n== Optimal transport for fixed support (1-D histograms) ==');
await import('./ot-1d.js');
