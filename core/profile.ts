import * as z from 'zod';

/** What a lead tells about themselves and their company on a form. */
export const profileSchema = z.object({
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  company: z.string().optional(),
  jobTitle: z.string().optional(),
  phone: z.string().optional(),
  country: z.string().optional(),
  industry: z.string().optional(),
  companySize: z.string().optional(),
  budget: z.string().optional(),
  timeline: z.string().optional(),
  role: z.string().optional(),
  message: z.string().optional(),
});
export type Profile = z.infer<typeof profileSchema>;
export const profileFields = Object.keys(profileSchema.shape) as Array<keyof Profile>;
