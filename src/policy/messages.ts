/**
 * Deny reasons that no policy states: the pack's forbids carry their own @reason, @en and @zh;
 * these are what the decision point says when no permit applied or a policy failed to evaluate.
 */
export const NO_PERMITTING_POLICY = {
  code: 'no-permitting-policy',
  en: 'No policy permits this use of the data for your role and purpose; ask the data owner or a privacy officer.',
  zh: '没有策略允许以您的角色和使用目的使用该数据；请联系数据所有者或隐私官。',
} as const;

/** A forbid that fails to evaluate must not turn into a permit: the request is denied. */
export const POLICY_ERROR = {
  code: 'policy-error',
  en: 'A policy could not be evaluated for this request, so it was denied; tell an administrator.',
  zh: '有策略无法针对此请求求值，因此请求被拒绝；请联系管理员。',
} as const;

/** A forbid without @en or @zh still says which rule applied. */
export const forbidMessage = (code: string) => ({
  en: `Denied by policy "${code}".`,
  zh: `被策略“${code}”拒绝。`,
});
