export type { Suggestion, SuggestionFigures, SuggestedRewrite } from '../report/index.ts';
