export type * from './types.ts';
export { classify, loadParser, tableKey } from './classify.ts';
export { fit, extrapolate, repeatNoise } from './fit.ts';
export { predictHolds, groupByUnit } from './transaction.ts';
export { predict, drivingTables, statementKey, MAX_TRUSTED_FACTOR, MAX_TRUSTED_RESIDUAL } from './predict.ts';
export type { PredictInput, PredictOutput, MeasuredMigration, MeasuredStatement, CalibrationPoint } from './predict.ts';
export { startCalibration, cloneDatabase, type Calibration, type CalibrationRun } from './calibrate.ts';
export { checkStatsTables } from './stats-check.ts';
export { runPredictions, type PredictRunOptions } from './run.ts';
