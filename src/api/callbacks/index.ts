/** The `callbacks` namespace: Keras's keras.callbacks. */
export * from '../callbacks.js';
export { ProgbarLogger, type ProgbarLoggerOptions } from '../progress.js';
export { LambdaCallback, type LambdaCallbackOptions } from './lambda.js';
export { TensorBoard, type TensorBoardOptions } from './tensorboard.js';
