export type { Suggestion, SuggestionFailure, SuggestionFigures, SuggestedRewrite } from '../report/index.ts';
