// `npm run demo`: runs the reference workflows and the ported gallery examples, writing every figure (PNG + SVG) into out/.
console.log('== Sinkhorn gradients (autodiff / envelope / last_step) ==');
await import('./sinkhorn-gradients.js');
console.log('\n== Dual OT with Adam (entropic and quadratic) ==');
await import('./dual-ot.js');
console.log('\n== Optimal transport for fixed support (1-D histograms) ==');
await import('./ot-1d.js');
console.log('\n== OT for domain adaptation (2-D, 3 classes) ==');
await import('./otda-d2.js');
console.log('\n== 1-D Wasserstein barycenters ==');
await import('./barycenter-1d.js');
