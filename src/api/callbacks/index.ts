/** The `callbacks` namespace: Keras's keras.callbacks. */
export * from '../callbacks.js';
export { ProgbarLogger, type ProgbarLoggerOptions } from '../progress.js';
export { LambdaCallback, type LambdaCallbackOptions } from './lambda.js';
export { TensorBoard, type TensorBoardOptions } from './tensorboard.js';
export { ModelCheckpoint, type ModelCheckpointOptions } from './model-checkpoint.js';
export { BackupAndRestore, type BackupAndRestoreOptions } from './backup-and-restore.js';
