// Optimisers (torch.optim): Adam with torch's exact update, and SGD.
export { Optimizer } from './optimizer.js';
export { Adam, type AdamOptions } from './adam.js';
export { SGD, type SGDOptions } from './sgd.js';
