import { benchEngine } from './correlation-engine.js';
console.log(JSON.stringify(await benchEngine()));
