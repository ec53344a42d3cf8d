import type { Random } from './random.js';

/**
 * Chinese personal names. Surname weights follow the published frequency ranking roughly (王, 李,
 * 张 and 刘 cover about a fifth of the population); compound surnames (复姓) are rare but present.
 * Given names have one or two characters, drawn from characters common for the person's sex.
 */
const SURNAMES: readonly (readonly [string, number])[] = [
  ['王', 72],
  ['李', 70],
  ['张', 66],
  ['刘', 54],
  ['陈', 47],
  ['杨', 33],
  ['黄', 24],
  ['赵', 21],
  ['吴', 20],
  ['周', 20],
  ['徐', 15],
  ['孙', 15],
  ['马', 14],
  ['朱', 13],
  ['胡', 13],
  ['郭', 12],
  ['何', 12],
  ['林', 11],
  ['高', 11],
  ['罗', 10],
  ['郑', 10],
  ['梁', 9],
  ['谢', 8],
  ['宋', 8],
  ['唐', 8],
  ['许', 7],
  ['韩', 7],
  ['邓', 7],
  ['冯', 7],
  ['曹', 6],
  ['彭', 6],
  ['曾', 6],
  ['肖', 6],
  ['田', 5],
  ['董', 5],
  ['潘', 5],
  ['袁', 5],
  ['蔡', 5],
  ['蒋', 5],
  ['余', 5],
  ['于', 5],
  ['杜', 4],
  ['叶', 4],
  ['程', 4],
  ['魏', 4],
  ['苏', 4],
  ['吕', 4],
  ['丁', 4],
  ['任', 4],
  ['卢', 4],
  ['姚', 4],
  ['沈', 4],
  ['钟', 3],
  ['姜', 3],
  ['崔', 3],
  ['谭', 3],
  ['陆', 3],
  ['范', 3],
  ['汪', 3],
  ['廖', 3],
  ['石', 3],
  ['金', 3],
  ['韦', 3],
  ['贾', 3],
  ['夏', 3],
  ['付', 3],
  ['方', 3],
  ['邹', 2],
  ['熊', 2],
  ['白', 2],
  ['孟', 2],
  ['秦', 2],
  ['邱', 2],
  ['侯', 2],
  ['江', 2],
  ['尹', 2],
  ['薛', 2],
  ['闫', 2],
  ['段', 2],
  ['雷', 2],
  ['龙', 2],
  ['黎', 2],
  ['史', 2],
  ['陶', 2],
  ['贺', 2],
  ['毛', 2],
  ['郝', 2],
  ['顾', 2],
  ['龚', 2],
  ['邵', 2],
  ['万', 2],
  ['覃', 2],
  ['武', 2],
  ['钱', 2],
  ['戴', 2],
  ['严', 2],
  ['莫', 1],
  ['孔', 1],
  ['向', 1],
  ['常', 1],
  ['汤', 1],
  ['康', 1],
  ['易', 1],
  ['乔', 1],
  // 复姓
  ['欧阳', 1],
  ['司马', 0.4],
  ['上官', 0.3],
  ['诸葛', 0.3],
  ['司徒', 0.3],
  ['东方', 0.2],
  ['皇甫', 0.2],
  ['令狐', 0.1],
  ['慕容', 0.1],
  ['尉迟', 0.1],
];

const MALE_CHARS = [
  ...'伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建亮成峰文博志国东海晨轩睿泽豪然毅诚翔坤嘉锋宏兵振岩松远航',
];
const FEMALE_CHARS = [
  ...'芳娜敏静丽艳娟霞秀婷玲桂丹萍红玉兰燕雪琳晶颖慧莉倩梅琴云洁佳欣悦怡婧雯璐梦涵诗雨瑶琪菲月婉蓉薇妍晓凤洁清',
];
const NEUTRAL_CHARS = [...'一子晓思文嘉安雅宁新春秋永'];

export const COMPOUND_SURNAMES: ReadonlySet<string> = new Set(
  SURNAMES.map(([s]) => s).filter((s) => s.length === 2),
);

export interface ChineseName {
  family: string;
  given: string;
  text: string;
}

export function chineseName(random: Random, sex: 'male' | 'female'): ChineseName {
  const family = random.weighted(SURNAMES);
  const pool = sex === 'male' ? MALE_CHARS : FEMALE_CHARS;
  const first = random.chance(0.15) ? random.pick(NEUTRAL_CHARS) : random.pick(pool);
  // Roughly a third of names have a single given character; compound surnames rarely do.
  const single = random.chance(family.length === 2 ? 0.1 : 0.3);
  let given = first;
  if (!single) {
    let second = random.pick(pool);
    if (second === first && random.chance(0.7)) second = random.pick(pool);
    given += second;
  }
  return { family, given, text: family + given };
}
